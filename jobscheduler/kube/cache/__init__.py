"""The watch cache: informers keeping compact, indexed projections of what the service reads."""

from jobscheduler.kube.cache.cache import CachedKind, CacheOptions, WatchCache
from jobscheduler.kube.cache.informer import Change, Informer
from jobscheduler.kube.cache.selectors import Requirement
from jobscheduler.kube.cache.store import Key, OrderKey, Store

__all__ = [
    "CacheOptions",
    "CachedKind",
    "Change",
    "Informer",
    "Key",
    "OrderKey",
    "Requirement",
    "Store",
    "WatchCache",
]
