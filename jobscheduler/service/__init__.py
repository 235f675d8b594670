"""The service layer: validate -> build (job-type handler) -> submit (gateway) -> read back.

The gRPC edge calls only ``JobService`` and ``build_service``; both take and return generated
protobuf messages and raise ``jobscheduler.errors`` exceptions.
"""

from jobscheduler.service.jobservice import JobService, build_service

__all__ = ["JobService", "build_service"]
