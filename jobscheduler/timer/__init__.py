"""``jobscheduler timer``: the container side of the Timer job type (see ``runner``)."""
