"""The Kubernetes gateway: the only package that calls the Kubernetes API."""

from jobscheduler.kube.errors import ResourceExpired
from jobscheduler.kube.gateway import KubeGateway, PatchType
from jobscheduler.kube.reader import JobReader
from jobscheduler.kube.resources import CRONJOBS, EVENTS, JOBS, PODS, Resource

__all__ = [
    "CRONJOBS",
    "EVENTS",
    "JOBS",
    "PODS",
    "JobReader",
    "KubeGateway",
    "PatchType",
    "Resource",
    "ResourceExpired",
]
