"""``jobscheduler probe``: the container side of the health-check job type (see ``runner``)."""
