"""The `jobs` commands start without loading what only the server needs: every CLI call pays
its imports, and the Kubernetes client alone is about half a second of them."""

from __future__ import annotations

import subprocess
import sys

SERVER_ONLY = (
    "kubernetes",
    "jobscheduler.kube",
    "jobscheduler.service",
    "jobscheduler.edge.server",
    "jobscheduler.dashboard",
    "shtab",
)


def test_the_cli_loads_no_server_module() -> None:
    probe = (
        "import sys\n"
        "from jobscheduler.cli.main import build_parser\n"
        "build_parser().parse_args(['jobs', 'list'])\n"
        f"print(sorted(m for m in {SERVER_ONLY!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
