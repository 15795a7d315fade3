"""Writes for patients: profile with emergency contacts, and screening results."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction

from patients.models import DEFAULT_VALIDITY_DAYS, Patient, Screening


@transaction.atomic
def patient_save(*, form, contacts) -> Patient:
    """Save a validated patient form and its emergency-contact formset together, or neither."""
    patient = form.save()
    contacts.instance = patient
    contacts.save()
    return patient


@transaction.atomic
def screening_record(
    *,
    patient: Patient,
    kind: str,
    taken_on: datetime.date,
    result: str,
    user,
    value: Decimal | None = None,
    valid_days: int | None = None,
    notes: str = "",
) -> Screening:
    """Record one screening result; its validity defaults to the usual validity of that kind of test."""
    screening = Screening(
        patient=patient,
        kind=kind,
        taken_on=taken_on,
        result=result,
        value=value,
        valid_days=valid_days or DEFAULT_VALIDITY_DAYS.get(kind, 365),
        notes=notes,
        recorded_by=user,
    )
    screening.full_clean()
    screening._history_user = user
    screening.save()
    return screening
