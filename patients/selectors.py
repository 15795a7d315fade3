"""Reads for the patient pages, with their joins chosen so the query count does not grow with rows."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from patients.models import EmergencyContact, Patient, Screening


def patient_list(*, search: str = "") -> QuerySet[Patient]:
    queryset = Patient.objects.all()
    search = search.strip()
    if search:
        condition = Q(mrn__iexact=search) | Q(mrn__istartswith=search)
        for word in search.split():
            condition |= Q(first_name__istartswith=word) | Q(last_name__istartswith=word)
        words = search.split()
        if len(words) > 1:
            both = Q()
            for word in words:
                both &= Q(first_name__istartswith=word) | Q(last_name__istartswith=word)
            condition = Q(mrn__iexact=search) | both
        queryset = queryset.filter(condition)
    return queryset.order_by("last_name", "first_name", "mrn")


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
