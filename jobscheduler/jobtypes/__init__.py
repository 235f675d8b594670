"""Job types: pure handlers that turn a typed request into a Kubernetes manifest and back."""

from jobscheduler.jobtypes.base import BuildContext, CliFlag, Handler, JobTypeHandler
from jobscheduler.jobtypes.registry import HandlerRegistry, RegistryError, build_registry

__all__ = [
    "BuildContext",
    "CliFlag",
    "Handler",
    "HandlerRegistry",
    "JobTypeHandler",
    "RegistryError",
    "build_registry",
]
