"""Writes for the patients' answers, the nurses' follow-up and the waitlist."""

from __future__ import annotations


def queues_changed() -> None:
    """Refresh the navigation counts once the transaction that changed a queue commits."""
    from django.db import transaction

    from replies.selectors import nav_counts_changed

    transaction.on_commit(nav_counts_changed)
