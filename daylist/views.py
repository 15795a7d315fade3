"""The printable day list (per day, chair or nurse), its CSV, and the nurses' chair assignments.

The list shows each patient's date of birth, MRN and allergies: every patient shown is written to the
access log.
"""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from daylist import selectors, services
from daylist.forms import AssignmentForm, DayListFilterForm
from infusion_center import formats
from patients.services import patient_access_record_many
from scheduling.models import Chair

CSV_HEADER = [
    "Arrival",
    "Infusion start",
    "Patient",
    "Date of birth",
    "MRN",
    "Chair",
    "Nurse",
    "Drug",
    "Dose (mg)",
    "Allergies",
    "Readiness",
    "Readiness details",
    "Status",
    "Confirmation",
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _filters(request: HttpRequest):
    form = DayListFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if form.is_bound and not form.is_valid():
        form = DayListFilterForm()
    day = data.get("day") or timezone.localdate()
    return form, day, data.get("chair"), data.get("nurse")


def _log(request: HttpRequest, lines) -> None:
    patient_access_record_many(
        user=request.user, patient_ids=[line.appointment.patient_id for line in lines], request=request
    )


@login_required
@permission_required("scheduling.view_appointment", raise_exception=True)
def day_list(request: HttpRequest) -> HttpResponse:
    form, day, chair, nurse = _filters(request)
    lines = selectors.day_lines(day, chair_id=chair.pk if chair else None, nurse_id=nurse.pk if nurse else None)
    context = {
        "form": form,
        "day": day,
        "chair": chair,
        "nurse": nurse,
        "nurse_label": selectors.nurse_name(nurse) if nurse else "",
        "groups": selectors.by_hour(lines),
        "count": len(lines),
        "printed_at": timezone.localtime(),
        "query": request.GET.urlencode(),
    }
    response = render(request, "daylist/day_list.html", context)
    _log(request, lines)
    return response


@login_required
@permission_required("scheduling.view_appointment", raise_exception=True)
def day_list_csv(request: HttpRequest) -> HttpResponse:
    _, day, chair, nurse = _filters(request)
    lines = selectors.day_lines(day, chair_id=chair.pk if chair else None, nurse_id=nurse.pk if nurse else None)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="day-list-{day.isoformat()}.csv"'
    response.write("\ufeff")  # spreadsheets read the names' accents right
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for line in lines:
        a = line.appointment
        writer.writerow(
            _cell(value)
            for value in (
                formats.time(a.premed_start),
                formats.time(a.infusion_start),
                a.patient.full_name,
                formats.date(a.patient.date_of_birth),
                a.patient.mrn,
                a.chair.name,
                line.nurse,
                a.phase.drug.name,
                f"{a.dose_mg.normalize():f}",
                "; ".join(line.allergies),
                line.readiness_word,
                line.readiness_detail,
                a.get_status_display(),
                line.confirmation.label if line.confirmation else "",
            )
        )
    _log(request, lines)
    return response


@login_required
@permission_required("daylist.change_chairassignment", raise_exception=True)
def assignments(request: HttpRequest) -> HttpResponse:
    _, day, _, _ = _filters(request)
    chairs = Chair.objects.filter(is_active=True)
    form = AssignmentForm(request.POST or None, chairs=chairs, initial_nurses=selectors.assignments_for(day))
    if request.method == "POST" and form.is_valid():
        changes = services.assignments_save(day=day, nurses_by_chair=form.nurses_by_chair(), user=request.user)
        messages.success(request, f"Nurses for {formats.day_year(day)} saved ({formats.count(changes, 'change')}).")
        return redirect(f"{request.path}?day={day.isoformat()}")
    status = 400 if request.method == "POST" else 200
    return render(request, "daylist/assignments.html", {"form": form, "day": day, "nav": "board"}, status=status)
