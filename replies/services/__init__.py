"""Writes for the patients' answers, the nurses' follow-up and the waitlist."""

from __future__ import annotations


def queues_changed() -> None:
    """Refresh the navigation counts now and again once the transaction that changed a queue commits (a page
    rendered in between could cache the old counts)."""
    from django.db import transaction

    from replies.selectors import nav_counts_changed

    nav_counts_changed()
    transaction.on_commit(nav_counts_changed)
