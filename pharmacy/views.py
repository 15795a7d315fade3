"""Pharmacy pages: the preparation queue with its steps, and the waste report."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from patients.services import patient_access_record_many
from pharmacy import selectors, services
from pharmacy.forms import MonthForm, WasteForm
from scheduling.models import Appointment


def _queue_page(request: HttpRequest, *, status: int = 200, error: str = "", **extra) -> HttpResponse:
    today = timezone.localdate()
    rows = selectors.preparation_queue(today=today)
    context = {
        "today_rows": [r for r in rows if r.appointment.local_date == today],
        "tomorrow_rows": [r for r in rows if r.appointment.local_date != today],
        "today": today,
        "tomorrow": today + datetime.timedelta(days=1),
        "waste_form": WasteForm(),
        "error": error,
        "nav": "pharmacy",
        **extra,
    }
    response = render(request, "pharmacy/queue.html", context, status=status)
    if status == 200:
        patient_access_record_many(
            user=request.user, patient_ids=[r.appointment.patient_id for r in rows], request=request
        )
    return response


@login_required
@permission_required("pharmacy.view_preparation", raise_exception=True)
def queue(request: HttpRequest) -> HttpResponse:
    return _queue_page(request)


def _appointment_or_404(pk: int) -> Appointment:
    try:
        return Appointment.objects.select_related("patient", "phase__drug").get(pk=pk)
    except Appointment.DoesNotExist as exc:
        raise Http404("No such appointment.") from exc


STEP_MESSAGES = {
    "release": "{drug} for {name} is released to mix.",
    "start": "Preparation of {drug} for {name} has started.",
    "ready": "{drug} for {name} is ready.",
}


@login_required
@permission_required("pharmacy.prepare_dose", raise_exception=True)
@require_POST
def preparation_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    if step not in STEP_MESSAGES:
        raise Http404("No such step.")
    appointment = _appointment_or_404(pk)
    try:
        if step == "release":
            services.preparation_release(appointment=appointment, user=request.user)
        else:
            services.preparation_step(appointment=appointment, step=step, user=request.user)
    except services.PharmacyError as exc:
        return _queue_page(request, status=409, error=exc.message)
    messages.success(
        request, STEP_MESSAGES[step].format(drug=appointment.phase.drug.name, name=appointment.patient.full_name)
    )
    return redirect("pharmacy:queue")


@login_required
@permission_required("pharmacy.prepare_dose", raise_exception=True)
@require_POST
def preparation_waste(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment_or_404(pk)
    form = WasteForm(request.POST)
    if not form.is_valid():
        return _queue_page(request, status=400, error="Give the reason the dose is wasted.")
    try:
        services.preparation_waste(appointment=appointment, reason=form.cleaned_data["reason"], user=request.user)
    except services.PharmacyError as exc:
        return _queue_page(request, status=409, error=exc.message)
    messages.warning(request, f"The {appointment.phase.drug.name} dose for {appointment.patient.full_name} is wasted.")
    return redirect("pharmacy:queue")


@login_required
@permission_required("pharmacy.view_waste_report", raise_exception=True)
def waste_report(request: HttpRequest) -> HttpResponse:
    month = MonthForm(request.GET).month_or(timezone.localdate())
    previous = (month - datetime.timedelta(days=1)).replace(day=1)
    following = (month + datetime.timedelta(days=32)).replace(day=1)
    lines = selectors.waste_report(month=month)
    context = {
        "month": month,
        "previous": previous,
        "following": following,
        "lines": lines,
        "total_doses": sum(line.doses for line in lines),
        "nav": "pharmacy",
    }
    return render(request, "pharmacy/waste_report.html", context)


@login_required
@permission_required("scheduling.override_readiness", raise_exception=True)
@require_POST
def allow_mix(request: HttpRequest, pk: int) -> HttpResponse:
    """From the appointment page: a nurse lets the pharmacy mix despite the day's blocking checks, with a reason."""
    appointment = _appointment_or_404(pk)
    form = WasteForm(request.POST)  # one required reason, like a waste
    if not form.is_valid():
        messages.error(request, "Give the reason the dose may be mixed despite the checks.")
        return redirect(appointment)
    try:
        services.mix_override_record(appointment=appointment, reason=form.cleaned_data["reason"], user=request.user)
    except services.PharmacyError as exc:
        messages.error(request, exc.message)
    else:
        messages.warning(request, "The pharmacy may mix this dose; your reason is recorded with the problems.")
    return redirect(appointment)
