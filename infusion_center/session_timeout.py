"""Idle and absolute session timeouts.

At sign-in the session stores when it started and when its user was last active. A session ends, on the
server, after `SESSION_IDLE_MINUTES` without activity or `SESSION_ABSOLUTE_HOURS` after sign-in; the user
is sent to the sign-in page with a message saying why (htmx requests get an `HX-Redirect` there).

Background htmx requests (a GET/HEAD with `HX-Request: true` that is not boosted navigation, such as the
board's auto-refresh) do not count as activity: a board left open still times out.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect

from infusion_center import formats

LOGIN_AT = "_session_login_at"
LAST_ACTIVITY = "_session_last_activity"
REGISTERED_KEY = "_session_registered_key"

# Activity is written to the session at most this often, so each click does not rewrite the session row.
ACTIVITY_RESOLUTION_SECONDS = 30

IDLE = "idle"
ABSOLUTE = "absolute"


def start_session_clock(request: HttpRequest) -> None:
    now = time.time()
    request.session[LOGIN_AT] = now
    request.session[LAST_ACTIVITY] = now


def is_background_request(request: HttpRequest) -> bool:
    """An htmx request that the page makes by itself (polling), not one the user made."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Boosted") != "true"
        and request.method in ("GET", "HEAD")
    )


def session_end_reason(request: HttpRequest, now: float) -> str | None:
    session = request.session
    login_at = session.get(LOGIN_AT)
    last_activity = session.get(LAST_ACTIVITY, login_at)
    if login_at is None or last_activity is None:
        return None
    if now - login_at >= settings.SESSION_ABSOLUTE_HOURS * 3600:
        return ABSOLUTE
    if now - last_activity >= settings.SESSION_IDLE_MINUTES * 60:
        return IDLE
    return None


def _ended_message(reason: str) -> str:
    if reason == IDLE:
        minutes = settings.SESSION_IDLE_MINUTES
        return f"You were signed out after {formats.count(minutes, 'minute')} without activity. Please sign in again."
    hours = settings.SESSION_ABSOLUTE_HOURS
    return f"You were signed out because your session reached its {hours}-hour limit. Please sign in again."


class SessionTimeoutMiddleware:
    """Ends idle and over-long sessions. Must come after the session, auth and message middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            if request.session.get(LOGIN_AT) is None:
                start_session_clock(request)  # a session that predates the timeouts starts its clock now
            reason = session_end_reason(request, now)
            if reason is not None:
                response = self._end_session(request, reason)
                if response is not None:
                    return response
            elif not is_background_request(request):
                last = request.session.get(LAST_ACTIVITY, 0)
                if now - last >= ACTIVITY_RESOLUTION_SECONDS:
                    request.session[LAST_ACTIVITY] = now
        response = self.get_response(request)
        self._follow_key_rotation(request)
        return response

    def _end_session(self, request: HttpRequest, reason: str) -> HttpResponse | None:
        """Sign the user out; returns the redirect to the sign-in page (None when already on it)."""
        logout(request)  # flushes the session on the server and forgets it in the session register
        messages.info(request, _ended_message(reason), fail_silently=True)
        login_url = resolve_url(settings.LOGIN_URL)
        if request.headers.get("HX-Request") == "true":
            # htmx: the whole page goes to the sign-in page, coming back to the page the user was on.
            current = urlsplit(request.headers.get("HX-Current-URL", ""))
            same_site = not current.netloc or current.netloc == request.get_host()
            back_to = current.path if same_site and current.path.startswith("/") else ""
            target = redirect_to_login(back_to, login_url)["Location"] if back_to else login_url
            return HttpResponseClientRedirect(target)
        if request.path == login_url:
            return None  # show the sign-in form, with the message
        return redirect_to_login(request.get_full_path(), login_url)

    @staticmethod
    def _follow_key_rotation(request: HttpRequest) -> None:
        """A password change keeps the current session under a new key: keep the session register in step."""
        session = getattr(request, "session", None)
        if session is None:
            return
        registered = session.get(REGISTERED_KEY)
        current = session.session_key
        if registered and current and registered != current:
            from accounts.services import user_session_register

            user_id = session.get("_auth_user_id")
            if user_id is not None:
                user_session_register(user_id=int(user_id), session_key=current, previous_key=registered)
                session[REGISTERED_KEY] = current
