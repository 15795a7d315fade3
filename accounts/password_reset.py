"""Password-reset links, always sent by a Celery task so that a request never waits for the mail server.

The public "forgotten password" form and a manager's "send a password-reset link" both queue the same task;
the request does the same work (one queue message) whether or not the address belongs to an account, so the
answer's timing tells nothing about which addresses exist.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

logger = logging.getLogger(__name__)

SUBJECT_TEMPLATE = "registration/password_reset_subject.txt"
BODY_TEMPLATE = "registration/password_reset_email.html"


def reset_link_queue(*, email: str = "", user_id: int | None = None, domain: str, use_https: bool) -> None:
    """After the current transaction commits, queue the task that emails a reset link (to the accounts with
    `email`, or to the account `user_id`). A broker outage is logged; the person can ask again."""
    from accounts.tasks import password_reset_send

    def publish() -> None:
        try:
            password_reset_send.apply_async(
                kwargs={"email": email, "user_id": user_id, "domain": domain, "use_https": use_https}, retry=False
            )
        except Exception:  # the broker is down: nothing was sent, and nothing about the account leaks
            logger.warning("Could not queue a password-reset email.", exc_info=True)

    transaction.on_commit(publish, robust=True)


def _accounts(*, email: str, user_id: int | None):
    users = get_user_model()._default_manager.filter(is_active=True)
    if user_id is not None:
        return list(users.filter(pk=user_id).exclude(email=""))
    if not email:
        return []
    return [u for u in users.filter(email__iexact=email) if u.email.lower() == email.lower()]


def reset_links_send(*, email: str = "", user_id: int | None = None, domain: str, use_https: bool) -> int:
    """Email a one-time link to choose a new password; returns how many were sent. Accounts without a usable
    password (new accounts a manager created) get one too: that is how their owner sets the first password."""
    sent = 0
    for user in _accounts(email=email, user_id=user_id):
        context = {
            "email": user.email,
            "domain": domain,
            "site_name": domain,
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "user": user,
            "token": default_token_generator.make_token(user),
            "protocol": "https" if use_https else "http",
        }
        PasswordResetForm().send_mail(SUBJECT_TEMPLATE, BODY_TEMPLATE, context, None, user.email)
        sent += 1
    return sent


class QueuedPasswordResetForm(PasswordResetForm):
    """The "forgotten password" form: validates the address and queues the email; never sends in the request."""

    def save(self, domain_override=None, use_https=False, request=None, **kwargs):
        domain = domain_override or (request.get_host() if request is not None else "")
        reset_link_queue(email=self.cleaned_data["email"], domain=domain, use_https=use_https)
