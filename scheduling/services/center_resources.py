"""The manager's writes to the center: chairs, opening hours, closures and nurse staffing."""

from __future__ import annotations

from django.db import models, transaction


@transaction.atomic
def resource_save(*, instance: models.Model, user) -> models.Model:
    """Save a chair, opening hours, closure or staffing day; the history records who changed it."""
    instance._history_user = user
    instance.save()
    return instance
