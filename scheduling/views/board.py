"""The chair board and the week: the start page of the staff who work on the chairs."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from patients.access import patients_shown
from scheduling.board.cache import board_grid_and_patients
from scheduling.forms import (
    DayForm,
)
from scheduling.models import Appointment

S = Appointment.Status


def _day_from(request: HttpRequest) -> datetime.date:
    form = DayForm(request.GET)
    if form.is_valid() and form.cleaned_data["day"]:
        return form.cleaned_data["day"]
    return timezone.localdate()


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Nurses, schedulers and managers start on the chair board; the pharmacy on its queue; drug admins on the
    drug catalogue in Django admin."""
    if request.user.has_perm("pharmacy.prepare_dose") and not request.user.has_perm("scheduling.perform_visit"):
        return redirect("pharmacy:queue")
    if request.user.has_perm("scheduling.view_appointment"):
        return board(request)
    if request.user.is_staff and request.user.has_perm("scheduling.change_drug"):
        return redirect("admin:scheduling_drug_changelist")
    if request.user.is_staff:
        return redirect("admin:index")
    raise PermissionDenied


@login_required
@permission_required("scheduling.view_appointment", raise_exception=True)
def board(request: HttpRequest) -> HttpResponse:
    day = _day_from(request)
    grid, patient_ids = board_grid_and_patients(day)
    patients_shown(request, patient_ids)
    if request.htmx:
        return HttpResponse(grid)
    context = {
        "day": day,
        "previous_day": day - datetime.timedelta(days=1),
        "next_day": day + datetime.timedelta(days=1),
        "is_today": day == timezone.localdate(),
        "board_grid": grid,
        "nav": "board",
    }
    return render(request, "scheduling/board.html", context)


@login_required
@permission_required("scheduling.view_appointment", raise_exception=True)
def week(request: HttpRequest) -> HttpResponse:
    from scheduling.selectors.reports import week_fill

    day = _day_from(request)
    monday = day - datetime.timedelta(days=day.weekday())
    context = week_fill(monday=monday)
    context.update(
        {
            "nav": "week",
            "monday": monday,
            "previous_week": monday - datetime.timedelta(days=7),
            "next_week": monday + datetime.timedelta(days=7),
            "day": day,
        }
    )
    return render(request, "scheduling/week.html", context)
