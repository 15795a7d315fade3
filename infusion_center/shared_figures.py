"""Figures every web process shows alike (the navigation's counts), worked out once for all of them.

Counting a queue can take a large center a few hundred milliseconds (the follow-up calls, the call list, the
authorisations to renew); each of five web processes counting each one every half minute made slow requests
at random. A figure is kept in the shared database cache for its `seconds`, and by each process for at most
`LOCAL_SECONDS` of that, so a page reads it without a query most of the time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache, caches

T = TypeVar("T")
LOCAL_SECONDS = 10
SHARED_ALIAS = "shared"


def shared_figure(key: str, compute: Callable[[], T], seconds: int) -> T:
    """This process's copy, else the one another process worked out, else worked out here and kept for all."""
    value = cache.get(key)
    if value is None:
        shared = caches[SHARED_ALIAS]
        value = shared.get(key)
        if value is None:
            value = compute()
            shared.set(key, value, seconds)
        cache.set(key, value, min(seconds, LOCAL_SECONDS))
    return value


def forget_shared_figures(*keys: str) -> None:
    """After a write that changes them: this process at once, the others within LOCAL_SECONDS."""
    cache.delete_many(keys)
    caches[SHARED_ALIAS].delete_many(keys)
