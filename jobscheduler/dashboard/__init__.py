"""The read-only web dashboard: job list with live states, job pages, schedules.

Served on its own port (``DASHBOARD_PORT``), apart from the unauthenticated operations port,
so it can sit behind the same access control as the gRPC API. Plain HTML, CSS and JavaScript
from ``static/`` (no build step, nothing from the internet) over JSON and server-sent events
under ``/api/``, all read through the service contract like the gRPC servicer.
"""

from jobscheduler.dashboard.server import DashboardServer

__all__ = ["DashboardServer"]
