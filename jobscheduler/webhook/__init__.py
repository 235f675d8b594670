"""``jobscheduler webhook``: the container side of the webhook job type (see ``runner``)."""
