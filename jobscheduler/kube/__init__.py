"""The Kubernetes gateway: the only package that calls the Kubernetes API."""

from jobscheduler.kube.errors import ResourceExpired
from jobscheduler.kube.gateway import KubeGateway
from jobscheduler.kube.reader import JobReader

__all__ = ["JobReader", "KubeGateway", "ResourceExpired"]
