"""Reads for the patient pages, with their joins chosen so the query count does not grow with rows."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from patients.models import EmergencyContact, Patient, Screening
from patients.search import patient_search


def patient_list(*, search: str = "") -> QuerySet[dict]:
    """Every patient alphabetically, or those a front-desk search finds, closest first (patients.search), as rows of
    the columns the list shows (a record's notes, address and clinical text stay in the database). Dictionaries,
    not model objects: the template reads each cell with one lookup (a page of 25 renders in half the time)."""
    return patient_search(search).values("pk", *LIST_COLUMNS)


LIST_COLUMNS = ("mrn", "first_name", "last_name", "date_of_birth", "ms_type", "phone")


def patient_for_detail(*, pk: int) -> Patient:
    return Patient.objects.prefetch_related(
        Prefetch("emergency_contacts", queryset=EmergencyContact.objects.order_by("id")),
        Prefetch(
            "screenings",
            queryset=Screening.objects.select_related("kind")
            .prefetch_related("kind__answers")
            .order_by("kind__name", "-taken_on", "-id"),
        ),
    ).get(pk=pk)
