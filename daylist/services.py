"""Writes for the day list: the nurses assigned to the chairs of a day."""

from __future__ import annotations

import datetime

from django.db import transaction

from daylist.models import ChairAssignment


@transaction.atomic
def assignments_save(*, day: datetime.date, nurses_by_chair: dict[int, object | None], user) -> int:
    """Set each chair's nurse for the day (None clears it); the history keeps who changed what. Returns changes."""
    current = {a.chair_id: a for a in ChairAssignment.objects.select_for_update().filter(date=day)}
    changes = 0
    for chair_id, nurse in nurses_by_chair.items():
        existing = current.get(chair_id)
        if nurse is None:
            if existing is not None:
                existing._history_user = user
                existing.delete()
                changes += 1
            continue
        if existing is not None and existing.nurse_id == nurse.pk:
            continue
        assignment = existing or ChairAssignment(date=day, chair_id=chair_id)
        assignment.nurse = nurse
        assignment._history_user = user
        assignment.save()
        changes += 1
    return changes
