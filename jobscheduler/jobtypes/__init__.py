"""Job types: pure handlers that turn a typed request into a Kubernetes manifest and back."""

from jobscheduler.jobtypes.base import BuildContext, JobTypeHandler
from jobscheduler.jobtypes.registry import HandlerRegistry, RegistryError, build_registry

__all__ = ["BuildContext", "HandlerRegistry", "JobTypeHandler", "RegistryError", "build_registry"]
