"""The FHIR API's one write: every patient record it returns goes into the patient access log."""

from __future__ import annotations

from collections.abc import Iterable

from axes.helpers import get_client_ip_address

from patients.models import PatientAccess


def fhir_access_record(*, client_name: str, patient_ids: Iterable[int], request) -> int:
    ids = sorted(set(patient_ids))
    match = getattr(request, "resolver_match", None)
    rows = [
        PatientAccess(
            patient_id=pk,
            user=None,
            username=f"FHIR client: {client_name}"[:150],
            path=request.get_full_path()[:500],
            view_name=(match.view_name if match is not None else "")[:200],
            ip_address=get_client_ip_address(request) or None,
        )
        for pk in ids
    ]
    PatientAccess.objects.bulk_create(rows)
    return len(rows)
