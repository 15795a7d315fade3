"""Long-lived objects kept out of the garbage collector's full passes, in web processes.

A full pass of Python's cyclic garbage collector walks every object the process holds: at a large center the
process's copy of the planning ceiling alone is some 150,000 objects, and a full pass then took 120 ms in whatever
request set it off (the slow outliers of the page benchmark). `gc.freeze()` moves every object alive at that
moment out of the collector's sight; reference counting still frees them when they are dropped.

Frozen once the application is loaded (no request in flight), and again after the response of a request that
loaded a large copy (the ceiling, the stored forecast page) or in which a full pass took longer than
`SLOW_FULL_PASS_MS` (what the pages have kept since, their compiled templates, the admin's, has grown): the
request asks for it, and the freeze runs when Django signals the request finished, after a collection, so it takes
no time from an answer. Each freeze keeps what the finished request left in reference cycles (some hundred
objects), so it is asked for only when a pass has become slow.
"""

from __future__ import annotations

import gc
import threading
import time

SLOW_FULL_PASS_MS = 10.0

_wanted = threading.Event()
_clock = time.perf_counter
_full_pass_started: list[float] = []


def freeze_now() -> None:
    gc.collect()
    gc.freeze()
    _wanted.clear()  # the collection just made may itself have been slow: it is frozen now


def freeze_after_response() -> None:
    """A large, long-lived copy was just loaded: freeze it once this request has answered."""
    _wanted.set()


def on_request_finished(sender, **kwargs) -> None:
    if _wanted.is_set():
        freeze_now()


def on_collection(phase: str, info: dict) -> None:
    """gc.callbacks: a full pass slower than SLOW_FULL_PASS_MS asks for a freeze after the response."""
    if info.get("generation") != 2:
        return
    if phase == "start":
        _full_pass_started[:] = [_clock()]
    elif _full_pass_started and (_clock() - _full_pass_started[0]) * 1000 > SLOW_FULL_PASS_MS:
        _wanted.set()


def install() -> None:
    """For web processes (infusion_center.wsgi): freeze what the application loaded, and after such responses."""
    from django.core.signals import request_finished

    freeze_now()
    request_finished.connect(on_request_finished, dispatch_uid="infusion_center.heap")
    if on_collection not in gc.callbacks:
        gc.callbacks.append(on_collection)
