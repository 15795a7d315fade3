"""Writes for patients: profile with emergency contacts, screening results, and the access log."""

from __future__ import annotations

import datetime
from decimal import Decimal

from axes.helpers import get_client_ip_address
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from patients.models import CheckKind, EmergencyContact, Patient, PatientAccess, Screening


@transaction.atomic
def patient_save(
    *, patient: Patient, contacts: list[EmergencyContact], removed_contacts: list[EmergencyContact]
) -> Patient:
    """Save a patient with their new or changed emergency contacts and without the removed ones, or nothing."""
    patient.save()
    for contact in contacts:
        contact.patient = patient
        contact.save()
    for contact in removed_contacts:
        contact.delete()
    return patient


@transaction.atomic
def screening_record(
    *,
    patient: Patient,
    kind: CheckKind | str,
    taken_on: datetime.date,
    result: str,
    user,
    value: Decimal | None = None,
    valid_days: int | None = None,
    notes: str = "",
) -> Screening:
    """Record one result of a safety check; its validity defaults to the check's usual validity.

    `kind`: the check, or its code. `result`: a qualitative check's answer code (numeric checks take `value`).
    Raises ValidationError, in words, for a result that is not of the check's type.
    """
    if not isinstance(kind, CheckKind):
        kind = CheckKind.objects.filter(code=kind).first()
        if kind is None:
            raise ValidationError({"kind": "Choose a safety check from the catalogue."})
    screening = Screening(
        patient=patient,
        kind=kind,
        taken_on=taken_on,
        result=result or "",
        value=value,
        valid_days=valid_days or kind.default_validity_days,
        notes=notes,
        recorded_by=user,
    )
    screening.full_clean()
    screening._history_user = user
    screening.save()
    return screening


def patient_access_record(*, user, patient: Patient | int, request: HttpRequest) -> int:
    """Log one view of a patient's record: who, when, which patient, which page (path only), which address."""
    patient_id = patient if isinstance(patient, int) else patient.pk
    return patient_accesses_record(user=user, patient_ids=[patient_id], request=request)


def patient_accesses_record(*, user, patient_ids: list[int], request: HttpRequest) -> int:
    """Log one page that showed these patients: one row per patient, written in one INSERT. On PostgreSQL the
    ids go as one array (INSERT ... SELECT unnest): a board of a hundred patients builds no model objects."""
    match = getattr(request, "resolver_match", None)
    signed_in = user is not None and user.is_authenticated
    common = {
        "user_id": user.pk if signed_in else None,
        "username": user.get_username() if signed_in else "",
        "accessed_at": timezone.now(),
        "path": request.path[:500],
        "view_name": (match.view_name if match is not None else "")[:200],
        "ip_address": get_client_ip_address(request) or None,
    }
    if connection.vendor != "postgresql":
        return len(PatientAccess.objects.bulk_create([PatientAccess(patient_id=pk, **common) for pk in patient_ids]))
    fields = [PatientAccess._meta.get_field(name) for name in ("patient_id", *common)]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    values = [f.get_db_prep_save(value, connection) for f, value in zip(fields[1:], common.values(), strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(PatientAccess._meta.db_table)} ({columns}) "
            f"SELECT unnest(%s::bigint[]), {', '.join(['%s'] * len(values))}",
            [list(patient_ids), *values],
        )
        return cursor.rowcount


def patient_access_record_many(*, user, patient_ids, request: HttpRequest) -> int:
    """Log one view of each patient shown together on one page (a day list, a queue): one insert."""
    return patient_accesses_record(user=user, patient_ids=sorted(set(patient_ids)), request=request)
