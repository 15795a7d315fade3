"""Writes for patients: profile with emergency contacts, screening results, and the access log."""

from __future__ import annotations

import datetime
from decimal import Decimal

from axes.helpers import get_client_ip_address
from django.db import transaction
from django.http import HttpRequest

from patients.models import DEFAULT_VALIDITY_DAYS, Patient, PatientAccess, Screening


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


def patient_access_record(*, user, patient: Patient | int, request: HttpRequest) -> PatientAccess:
    """Log one view of a patient's record: who, when, which patient, which page (path only), which address."""
    patient_id = patient if isinstance(patient, int) else patient.pk
    match = getattr(request, "resolver_match", None)
    return PatientAccess.objects.create(
        patient_id=patient_id,
        user=user if user is not None and user.is_authenticated else None,
        username=user.get_username() if user is not None and user.is_authenticated else "",
        path=request.path[:500],
        view_name=(match.view_name if match is not None else "")[:200],
        ip_address=get_client_ip_address(request) or None,
    )


def patient_access_record_many(*, user, patient_ids, request: HttpRequest) -> int:
    """Log one view of each patient's record shown together on one page (a day list, a queue): one insert."""
    match = getattr(request, "resolver_match", None)
    signed_in = user is not None and user.is_authenticated
    ip_address = get_client_ip_address(request) or None
    rows = [
        PatientAccess(
            patient_id=patient_id,
            user=user if signed_in else None,
            username=user.get_username() if signed_in else "",
            path=request.path[:500],
            view_name=(match.view_name if match is not None else "")[:200],
            ip_address=ip_address,
        )
        for patient_id in sorted(set(patient_ids))
    ]
    PatientAccess.objects.bulk_create(rows)
    return len(rows)
