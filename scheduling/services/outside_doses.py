"""Recording a dose given elsewhere: it joins the patient's dose history, and their bookings follow it."""

from __future__ import annotations

from django.db import transaction

from patients.models import Patient
from scheduling.models import OutsideDose


@transaction.atomic
def outside_dose_record(*, patient: Patient, user, **values) -> OutsideDose:
    """Save the record (history-tracked); the post-save hook re-derives the patient's bookings in this transaction."""
    list(Patient.objects.select_for_update().filter(pk=patient.pk))
    dose = OutsideDose(patient=patient, recorded_by=user, **values)
    dose.full_clean()
    dose._history_user = user
    dose.save()
    return dose
