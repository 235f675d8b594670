"""The read side the service depends on: GET by name, one call each.

Today ``KubeGateway`` implements it with direct API calls; a watch-fed cache can replace it
without touching the service.
"""

from __future__ import annotations

from typing import Any, Protocol

JSON = dict[str, Any]


class JobReader(Protocol):
    def get_job(self, namespace: str, name: str) -> JSON:
        """The Job as JSON; raises ``errors.NotFound``."""
        ...

    def get_cronjob(self, namespace: str, name: str) -> JSON:
        """The CronJob as JSON; raises ``errors.NotFound``."""
        ...
