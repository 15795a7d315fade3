"""Long-lived objects kept out of the garbage collector's full passes, in web processes.

A full pass of Python's cyclic garbage collector walks every object the process holds: at a large center the
process's copy of the planning ceiling alone is some 150,000 objects, and a full pass then took 120 ms in whatever
request set it off (the slow outliers of the page benchmark). `gc.freeze()` moves every object alive at that
moment out of the collector's sight; reference counting still frees them when they are dropped.

Frozen once the application is loaded (no request in flight), and again after the response of a request that
loaded a large copy (the ceiling, the stored forecast page): `freeze_after_response` asks for it, and the freeze
runs when Django signals the request finished, after a collection, so it takes no time from an answer.
"""

from __future__ import annotations

import gc
import threading

_wanted = threading.Event()


def freeze_now() -> None:
    gc.collect()
    gc.freeze()


def freeze_after_response() -> None:
    """A large, long-lived copy was just loaded: freeze it once this request has answered."""
    _wanted.set()


def on_request_finished(sender, **kwargs) -> None:
    if _wanted.is_set():
        _wanted.clear()
        freeze_now()


def install() -> None:
    """For web processes (infusion_center.wsgi): freeze what the application loaded, and after such responses."""
    from django.core.signals import request_finished

    freeze_now()
    request_finished.connect(on_request_finished, dispatch_uid="infusion_center.heap")
