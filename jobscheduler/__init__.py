"""jobscheduler: a Kubernetes-native job scheduling service with a gRPC API.

Layers, top to bottom (enforced by import-linter, see pyproject.toml):
``cli`` → ``edge`` (gRPC servicer, interceptors) → ``service`` (validate, build, submit, read
back) → ``jobtypes`` (pure handlers: request in, manifest out) → ``kube`` (the only code that
talks to the Kubernetes API). ``config``, ``logs``, ``metrics``, ``errors`` and ``clock`` sit
beside them; ``embedded`` is the in-process development cluster, never imported by the service.
"""

__version__ = "0.1.0"
