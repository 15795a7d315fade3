"""Booking: starting a plan, finding and booking a time, booking maintenance, rescheduling and cancelling."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from authorisations.views import warn_authorisation
from infusion_center import formats
from patients.access import patient_shown
from patients.models import Patient
from scheduling.forms import (
    CancelForm,
    MaintenanceForm,
    PlanStartForm,
    SlotPickForm,
    SlotSearchForm,
)
from scheduling.models import Appointment, TreatmentPlan
from scheduling.selectors.plan_state import plan_for_booking, plan_next_dose_to_book
from scheduling.services import booking, courses
from scheduling.services.plans import PlanError, plan_start
from scheduling.views.visits import _appointment_or_404, _appointment_page

S = Appointment.Status


@login_required
@permission_required("scheduling.add_treatmentplan", raise_exception=True)
def plan_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=patient_id)
    form = PlanStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = plan_start(
                patient=patient,
                drug=data["drug"],
                start_date=data["start_date"],
                course_days=data["course_days"],
                preferred_chair=data["preferred_chair"],
                notes=data["notes"],
                user=request.user,
            )
        except PlanError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{plan.drug.name} plan started for {patient.full_name}.")
            return redirect(patient)
    status = 400 if request.method == "POST" else 200
    patient_shown(request, patient)
    return render(
        request, "scheduling/plan_form.html", {"form": form, "patient": patient, "nav": "patients"}, status=status
    )


# Pages that link to find-a-time; the navigation keeps the user's section highlighted (a patient's by default).
FIND_A_TIME_SECTIONS = {"patients", "worklist", "board", "attention", "replies"}


def _section_came_from(request: HttpRequest) -> str:
    section = request.GET.get("from", "")
    return section if section in FIND_A_TIME_SECTIONS else "patients"


def _slot_page(
    request: HttpRequest,
    *,
    plan: TreatmentPlan,
    appointment: Appointment | None = None,
    error: str = "",
    status: int = 200,
    maintenance_form: MaintenanceForm | None = None,
) -> HttpResponse:
    form = SlotSearchForm(request.GET)
    slots = []
    reasons: tuple[str, ...] = ()
    rebook_as = None
    next_dose = plan_next_dose_to_book(plan=plan) if appointment is None else None
    if form.is_valid() and (appointment is not None or next_dose is not None):
        data = form.cleaned_data
        try:
            search = booking.slots_search(
                plan=plan,
                date_from=data["date_from"],
                date_to=data["date_to"],
                chair_id=data["chair"].pk if data["chair"] else None,
                time_of_day=data["time_of_day"] or None,
                weekday=data["weekday"],
                appointment=appointment,
            )
        except booking.BookingError as exc:
            error = error or exc.message
        else:
            slots, reasons = search.slots, search.reasons
            rebook_as = search.dose if appointment is not None else None
    repeats = bool(next_dose and next_dose.phase.repeats)
    context = {
        "plan": plan,
        "patient": plan.patient,
        "appointment": appointment,
        "next": next_dose,
        "form": form,
        "slots": slots,
        "reasons": reasons,
        "rebook_as": rebook_as,
        "error": error,
        "maintenance_form": maintenance_form or MaintenanceForm(),
        "show_maintenance": repeats and appointment is None,
        "book_url": reverse("scheduling:appointment-reschedule", args=[appointment.pk])
        if appointment
        else reverse("scheduling:plan-book", args=[plan.pk]),
        "nav": _section_came_from(request),
    }
    patient_shown(request, plan.patient_id)
    return render(request, "scheduling/slot_find.html", context, status=status)


def _plan_or_404(pk: int) -> TreatmentPlan:
    plan = plan_for_booking(pk)
    if plan is None:
        raise Http404
    return plan


@login_required
@permission_required("scheduling.add_appointment", raise_exception=True)
def plan_find(request: HttpRequest, pk: int) -> HttpResponse:
    return _slot_page(request, plan=_plan_or_404(pk))


@login_required
@permission_required("scheduling.add_appointment", raise_exception=True)
@require_POST
def plan_book(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan_or_404(pk)
    form = SlotPickForm(request.POST)
    if not form.is_valid():
        return _slot_page(request, plan=plan, error="Choose one of the times offered.", status=400)
    try:
        booked = booking.dose_book(
            plan=plan,
            chair_id=form.cleaned_data["chair_id"],
            premed_start=form.cleaned_data["premed_start"],
            user=request.user,
        )
    except booking.BookingError as exc:
        return _slot_page(request, plan=plan, error=exc.message, status=409)
    first = booked[0]
    when = timezone.localtime(first.premed_start)
    days = f" ({len(booked)} days)" if len(booked) > 1 else ""
    on = f"{formats.day_year(when)} at {formats.time(when)}"
    messages.success(request, f"Booked {plan.patient.full_name} in {first.chair} on {on}{days}.")
    warn_authorisation(request, booked)
    return redirect(first)


@login_required
@permission_required("scheduling.add_appointment", raise_exception=True)
@require_POST
def plan_book_maintenance(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan_or_404(pk)
    form = MaintenanceForm(request.POST)
    if not form.is_valid():
        return _slot_page(request, plan=plan, status=400, maintenance_form=form)
    try:
        booked = booking.maintenance_book(plan=plan, count=form.cleaned_data["count"], user=request.user)
    except booking.BookingError as exc:
        return _slot_page(request, plan=plan, error=exc.message, status=409, maintenance_form=form)
    dates = ", ".join(formats.date(a.premed_start) for a in booked)
    messages.success(request, f"Booked {formats.count(len(booked), 'dose')} for {plan.patient.full_name}: {dates}.")
    warn_authorisation(request, booked)
    return redirect(plan.patient)


@login_required
@permission_required("scheduling.change_appointment", raise_exception=True)
def appointment_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the same search as booking, for this appointment's dose. POST: move it to the chosen time."""
    appointment = _appointment_or_404(pk)
    if appointment.status not in booking.RESCHEDULABLE:
        return _appointment_page(
            request,
            appointment,
            status=409,
            error=booking.NOT_RESCHEDULABLE.format(status=appointment.get_status_display().lower()),
        )
    plan = appointment.plan
    if request.method != "POST":
        return _slot_page(request, plan=plan, appointment=appointment)
    form = SlotPickForm(request.POST)
    if not form.is_valid():
        return _slot_page(
            request, plan=plan, appointment=appointment, error="Choose one of the times offered.", status=400
        )
    try:
        moved = booking.appointment_reschedule(
            appointment=appointment,
            chair_id=form.cleaned_data["chair_id"],
            premed_start=form.cleaned_data["premed_start"],
            user=request.user,
            reason=form.cleaned_data["reason"],
        )
    except booking.BookingError as exc:
        return _slot_page(request, plan=plan, appointment=appointment, error=exc.message, status=409)
    messages.success(
        request,
        f"Moved to {moved.chair} on {formats.day_year(moved.premed_start)} at {formats.time(moved.premed_start)}.",
    )
    warn_authorisation(request, [moved])
    return redirect(moved)


@login_required
@permission_required("scheduling.change_appointment", raise_exception=True)
def appointment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment_or_404(pk)
    form = CancelForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                if form.cleaned_data["whole_course"]:
                    days = courses.course_cancel(
                        appointment=appointment, reason=form.cleaned_data["reason"], user=request.user
                    )
                    done = f"The {len(days)} remaining days of {appointment.patient.full_name}'s course are cancelled."
                else:
                    booking.appointment_cancel(
                        appointment=appointment, reason=form.cleaned_data["reason"], user=request.user
                    )
                    done = f"The appointment of {appointment.patient.full_name} is cancelled."
            except booking.BookingError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, done)
                return redirect(appointment.patient)
        status = 400
    patient_shown(request, appointment.patient_id)
    return render(
        request,
        "scheduling/appointment_cancel.html",
        {
            "appointment": appointment,
            "form": form,
            "course_days": courses.course_days_to_cancel(appointment) if appointment.course_id else [],
            "nav": "board",
        },
        status=status,
    )
