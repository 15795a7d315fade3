"""Per-process copies of rarely edited tables (the drug catalogue, the center's hours and chairs) for slot search.

A copy is used only while a token in the cache still names it: every save or delete of the rows it was built from
drops the token, again once the write commits (scheduling/signals.py), so the process rebuilds its copy on its next
read. The default cache is each process's own, so a copy also expires after `seconds`: other processes, and writes
that send no signal (a bulk update), are seen within that. Only reads use copies: inside a transaction (every
booking and every re-derivation, which check the rules on fresh rows) no copy is used or kept, so a stale offer is
at worst refused in words when booked, never booked.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import connection, transaction

T = TypeVar("T")

_copies: dict[str, tuple[float, str, object]] = {}
_lock = threading.Lock()


def memoised(key: str, build: Callable[[], T], *, seconds: float = 15.0) -> T:
    """The process's copy of `build()` while it is current, else a fresh one."""
    token = cache.get(_token_key(key))
    copy = _copies.get(key) if not connection.in_atomic_block else None
    if copy is not None and token is not None and copy[1] == token and copy[0] > time.monotonic():
        return copy[2]  # type: ignore[return-value]
    if token is None:
        token = uuid.uuid4().hex
        if not cache.add(_token_key(key), token, None):
            token = cache.get(_token_key(key)) or token
    value = build()
    if not connection.in_atomic_block:  # inside a transaction the rows may be uncommitted, or rolled back later
        with _lock:
            _copies[key] = (time.monotonic() + seconds, token, value)
    return value


def forget(key: str) -> None:
    """Every process's copy is stale: now, and again once the write in progress commits (a copy built from the rows
    before the commit would otherwise be taken as current)."""
    cache.delete(_token_key(key))
    transaction.on_commit(lambda: cache.delete(_token_key(key)))


def _token_key(key: str) -> str:
    return f"memo-token:{key}"
