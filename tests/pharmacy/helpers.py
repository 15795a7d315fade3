"""Pharmacy test helpers."""

from pharmacy.models import Preparation


def dose_ready(appointment) -> Preparation:
    """The pharmacy has the appointment's dose ready (drawn straight in the database, whatever the release rule)."""
    return Preparation.objects.create(
        appointment=appointment, status=Preparation.Status.READY, dose_mg=appointment.dose_mg
    )
