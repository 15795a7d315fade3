"""Session register: record each sign-in's session and end all of a user's sessions on the server."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase

from accounts.models import UserSession


def _session_store() -> type[SessionBase]:
    return import_module(settings.SESSION_ENGINE).SessionStore


def user_session_register(*, user_id: int, session_key: str, previous_key: str | None = None) -> None:
    """Remember that `session_key` belongs to the user (replacing `previous_key` after a key rotation)."""
    if previous_key and previous_key != session_key:
        UserSession.objects.filter(session_key=previous_key).delete()
    UserSession.objects.update_or_create(session_key=session_key, defaults={"user_id": user_id})


def user_session_forget(*, session_key: str | None) -> None:
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def user_sessions_end(*, user_id: int) -> int:
    """Delete every session of the user from the session store; returns how many were registered."""
    keys = list(UserSession.objects.filter(user_id=user_id).values_list("session_key", flat=True))
    store = _session_store()
    for key in keys:
        store().delete(key)
    UserSession.objects.filter(user_id=user_id, session_key__in=keys).delete()
    return len(keys)


def user_sessions_prune(*, user_id: int) -> int:
    """Forget the user's sessions that have expired or were cleared from the session store."""
    store = _session_store()
    gone = [
        key
        for key in UserSession.objects.filter(user_id=user_id).values_list("session_key", flat=True)
        if not store().exists(key)
    ]
    if gone:
        UserSession.objects.filter(session_key__in=gone).delete()
    return len(gone)
