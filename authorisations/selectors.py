"""Reads for the front desk: authorisations about to expire and booked doses without a covering authorisation."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.utils import timezone

from authorisations.models import Authorisation
from authorisations.services import coverage_for_appointments, expiry_warning_days
from scheduling.models import Appointment, TreatmentPlan

UPCOMING_STATUSES = (Appointment.Status.SCHEDULED, Appointment.Status.CHECKED_IN, Appointment.Status.PREMEDICATED)


@dataclass
class UncoveredDose:
    appointment: Appointment
    problem: str


def expiring_authorisations(*, today: datetime.date | None = None, days: int | None = None):
    """Authorisations of active plans ending within `days` (the setting by default), soonest first, each marked
    `renewed` when a later authorisation of the same plan already continues it."""
    today = today or timezone.localdate()
    days = expiry_warning_days() if days is None else days
    later = Authorisation.objects.filter(plan_id=OuterRef("plan_id"), valid_to__gt=OuterRef("valid_to"))
    return (
        Authorisation.objects.filter(
            valid_to__gte=today,
            valid_to__lte=today + datetime.timedelta(days=days),
            plan__status=TreatmentPlan.Status.ACTIVE,
        )
        .annotate(renewed=Exists(later))
        .select_related("plan__patient", "plan__drug")
        .order_by("valid_to", "plan__patient__last_name", "id")
    )


def _uncovered(now: datetime.datetime | None) -> dict[int, str]:
    """Booked doses still to give (today on) whose authorisation is missing, out of its dates or used up."""
    now = now or timezone.now()
    start_of_today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    upcoming = list(
        Appointment.objects.filter(premed_start__gte=start_of_today, status__in=UPCOMING_STATUSES).values_list(
            "pk", "plan_id"
        )
    )
    if not upcoming:
        return {}
    coverage = coverage_for_appointments(upcoming)
    return {pk: coverage[pk].problem for pk, _ in upcoming if pk in coverage and coverage[pk].problem}


def uncovered_doses(*, now: datetime.datetime | None = None) -> list[UncoveredDose]:
    """Booked doses still to give, soonest first, with what is wrong with their authorisation."""
    problems = _uncovered(now)
    rows = (
        Appointment.objects.filter(pk__in=list(problems))
        .select_related("patient", "plan__drug", "chair")
        .order_by("premed_start", "pk")
    )
    return [UncoveredDose(appointment, problems[appointment.pk]) for appointment in rows]


def front_desk_count() -> int:
    """The number in the navigation: expiring authorisations not yet renewed, and booked doses not covered."""
    return expiring_authorisations().filter(renewed=False).count() + len(_uncovered(None))
