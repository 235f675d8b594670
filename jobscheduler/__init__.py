"""jobscheduler: a Kubernetes-native job scheduling service with a gRPC API.

Layers, top to bottom (enforced by import-linter, see pyproject.toml):
``cli`` → ``edge`` (gRPC servicer, interceptors) → ``service`` (validate, build, submit, read
back) → ``jobtypes`` (pure handlers: request in, manifest out) → ``kube`` (the only code that
talks to the Kubernetes API). ``config``, ``logs``, ``metrics``, ``errors`` and ``clock`` sit
beside them; ``embedded`` is the in-process development cluster, never imported by the service.
"""


def __getattr__(name: str) -> str:
    # ``jobscheduler.__version__`` is what ``jobscheduler version`` prints, computed on demand
    # (it may ask git) so importing the package stays cheap.
    if name == "__version__":
        from jobscheduler.version import get_version_info  # noqa: PLC0415

        return get_version_info().version
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
