"""Patient services: business rules that write patient data."""

from __future__ import annotations

from axes.helpers import get_client_ip_address
from django.http import HttpRequest

from patients.models import Patient, PatientAccess


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
