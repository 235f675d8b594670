"""The ``jobscheduler`` command line: serve, cluster, version, health, timer and ``jobs``."""
