"""Per-address limits on sign-in and password-reset posts, checked before any view (and so before any password
is hashed): a flood of guesses from one address cannot slow the site for everyone, and cannot tell which
usernames exist.

A fixed window per address in the "ratelimit" cache: Redis when REDIS_URL is set (shared by every web
process), else each process's memory. `cache.add` then `cache.incr` is atomic on both.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.shortcuts import render
from django.urls import Resolver404, resolve

from infusion_center.client_ip import client_ip

CACHE_ALIAS = "ratelimit"


@dataclass(frozen=True)
class Limit:
    scope: str
    count: int
    window_seconds: int


def limits_by_view() -> dict[str, Limit]:
    signin = Limit("signin", settings.SIGNIN_RATE_LIMIT, settings.SIGNIN_RATE_WINDOW_SECONDS)
    reset = Limit("reset", settings.PASSWORD_RESET_RATE_LIMIT, 3600)
    return {"login": signin, "admin:login": signin, "password_reset": reset}


def hit(limit: Limit, key: str, *, now: float | None = None) -> int:
    """Count one attempt; returns the seconds to wait when over the limit, else 0."""
    now = time.time() if now is None else now
    window = int(now // limit.window_seconds)
    cache_key = f"rl:{limit.scope}:{key}:{window}"
    cache = caches[CACHE_ALIAS]
    cache.add(cache_key, 0, timeout=limit.window_seconds + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=limit.window_seconds + 1)
        count = 1
    if count <= limit.count:
        return 0
    return max(1, int((window + 1) * limit.window_seconds - now))


class SignInRateLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST":
            try:
                view_name = resolve(request.path_info).view_name
            except Resolver404:
                view_name = ""
            limit = limits_by_view().get(view_name)
            if limit is not None:
                wait = hit(limit, client_ip(request) or "unknown")
                if wait:
                    return too_many(request, limit, wait)
        return self.get_response(request)


def too_many(request, limit: Limit, wait_seconds: int):
    minutes = max(1, round(wait_seconds / 60))
    what = "sign-in attempts" if limit.scope == "signin" else "password-reset requests"
    response = render(
        request,
        "registration/too_many_attempts.html",
        {"what": what, "minutes": minutes},
        status=429,
    )
    response["Retry-After"] = str(wait_seconds)
    return response
