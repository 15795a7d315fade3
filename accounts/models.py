"""Which server-side sessions belong to which staff member, so that they can all be ended at once."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class UserSession(models.Model):
    """One signed-in session of a user: written at sign-in, removed at sign-out or when the sessions are ended."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user"], name="usersession_user_idx")]

    def __str__(self) -> str:
        return f"session of user {self.user_id} since {self.created_at:%Y-%m-%d %H:%M}"


class LockoutRelease(models.Model):
    """A manager lifted a sign-in lock-out (username + address) before its cool-off ended."""

    username = models.CharField(max_length=150)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    failures = models.PositiveIntegerField(help_text="Failed sign-ins recorded when it was lifted.")
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    released_by_username = models.CharField(max_length=150)
    released_from = models.GenericIPAddressField(null=True, blank=True, help_text="The manager's address.")
    released_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-released_at", "-id"]

    def __str__(self) -> str:
        return (
            f"{self.released_by_username} lifted the lock-out of {self.username} at {self.released_at:%Y-%m-%d %H:%M}"
        )
