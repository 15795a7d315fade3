"""Sign-in, sign-out and account changes: keep the session register and end sessions when an account changes."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from accounts.services import (
    user_session_forget,
    user_session_register,
    user_sessions_end,
    user_sessions_prune,
)
from infusion_center.session_timeout import REGISTERED_KEY, start_session_clock

User = get_user_model()


@receiver(user_logged_in, dispatch_uid="accounts.register_session")
def register_session(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    if session.session_key is None:
        session.save()
    user_sessions_prune(user_id=user.pk)
    user_session_register(user_id=user.pk, session_key=session.session_key)
    session[REGISTERED_KEY] = session.session_key
    start_session_clock(request)


@receiver(user_logged_out, dispatch_uid="accounts.forget_session")
def forget_session(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is not None:
        user_session_forget(session_key=session.session_key)


_WATCHED_FIELDS = {"password", "is_active"}


@receiver(pre_save, sender=User, dispatch_uid="accounts.note_account_change")
def note_account_change(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    """Before a user is saved: note whether the save deactivates them or changes their password."""
    instance._end_sessions = False
    if raw or instance.pk is None:
        return
    if update_fields is not None and not _WATCHED_FIELDS.intersection(update_fields):
        return
    before = sender._default_manager.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    deactivated = before["is_active"] and not instance.is_active
    instance._end_sessions = deactivated or before["password"] != instance.password


@receiver(post_save, sender=User, dispatch_uid="accounts.end_sessions_on_account_change")
def end_sessions_on_account_change(sender, instance, raw=False, **kwargs) -> None:
    """A deactivated account, or one whose password changed, keeps no session on the server.

    A user who changes their own password keeps the session they changed it from: Django rotates its key
    (update_session_auth_hash) and the session timeout middleware registers the new key.
    """
    if raw or not getattr(instance, "_end_sessions", False):
        return
    instance._end_sessions = False
    user_sessions_end(user_id=instance.pk)
