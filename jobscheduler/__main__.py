"""``python -m jobscheduler`` runs the ``jobscheduler`` command."""

import sys

from jobscheduler.cli.main import main

sys.exit(main())
