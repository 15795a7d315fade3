"""The appointment page and the visit workflow: check-in, premedication, infusion start, reaction, no-show.

Views stay thin: they parse input with a form, call a selector or a service, and render.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from infusion_center import formats
from patients.access import patient_shown
from scheduling.forms import (
    OverrideForm,
    PremedicationForm,
    ReactionForm,
    VisitTimeForm,
)
from scheduling.models import Appointment
from scheduling.reminders.selectors import reminders_for_appointment
from scheduling.selectors import appointments as selectors
from scheduling.selectors.readiness import (
    readiness_for_appointments,
)
from scheduling.selectors.visit_clock import premedications_for
from scheduling.selectors.visit_history import appointment_timeline, visit_clock_summary
from scheduling.services import booking, visits
from scheduling.services.visit_clock import VisitTooEarly

S = Appointment.Status


def _appointment_or_404(pk: int) -> Appointment:
    try:
        return selectors.appointment_for_detail(pk=pk)
    except Appointment.DoesNotExist as exc:
        raise Http404("No such appointment.") from exc


def _premedication_rows(appointment: Appointment) -> list[dict]:
    given = {g.premedication_id: g for g in appointment.premedications_given.all()}
    rows = []
    for premed in premedications_for(appointment):
        rows.append({"premedication": premed, "given": given.get(premed.pk)})
    return rows


def _appointment_page(request: HttpRequest, appointment: Appointment, *, status: int = 200, **extra) -> HttpResponse:
    readiness = readiness_for_appointments([appointment]).get(appointment.pk) if appointment.is_active else None
    context = {
        "appointment": appointment,
        "patient": appointment.patient,
        "readiness": readiness,
        "premedication_rows": _premedication_rows(appointment),
        "premedication_form": PremedicationForm(appointment=appointment),
        "time_form": VisitTimeForm(),
        "reaction_form": ReactionForm(),
        "override_form": OverrideForm(),
        "history": appointment_timeline(appointment),
        "clock": visit_clock_summary(appointment),
        **_correction_context(appointment, extra),
        "reminders": reminders_for_appointment(appointment=appointment),
        **visits.visit_steps_offered(appointment, now=timezone.now()),
        "can_change_booking": appointment.status in booking.RESCHEDULABLE,
        "nav": "board",
        **extra,
    }
    patient_shown(request, appointment.patient_id)
    return render(request, "scheduling/appointment_detail.html", context, status=status)


def _correction_context(appointment: Appointment, extra: dict) -> dict:
    from scheduling.services.visit_corrections import correctable_steps, last_step
    from scheduling.visit_forms import TimeCorrectionForm, UndoStepForm

    steps = correctable_steps(appointment)
    return {
        "correction_steps": steps,
        "correction_form": extra.pop("correction_form", None) or TimeCorrectionForm(steps=steps),
        "undo_step": last_step(appointment),
        "undo_form": extra.pop("undo_form", None) or UndoStepForm(),
    }


@login_required
@permission_required("scheduling.view_appointment", raise_exception=True)
def appointment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _appointment_page(request, _appointment_or_404(pk))


_SIMPLE_STEPS = {
    "check-in": (visits.appointment_check_in, "{name} is checked in."),
    "end": (visits.infusion_end, "The infusion has ended; observation runs now."),
    "discharge": (visits.appointment_discharge, "{name} is discharged."),
}


@login_required
@permission_required("scheduling.perform_visit", raise_exception=True)
@require_POST
def visit_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Check in, end the infusion, or discharge, at the time given (now by default)."""
    if step not in _SIMPLE_STEPS:
        raise Http404("No such step.")
    appointment = _appointment_or_404(pk)
    form = VisitTimeForm(request.POST)
    if not form.is_valid():
        return _appointment_page(request, appointment, status=400, time_form=form, error="Enter a valid time.")
    service, message = _SIMPLE_STEPS[step]
    data = form.cleaned_data
    extra = {"end": {"reason": data["reason"]}, "discharge": {"reason": data["reason"]}}.get(step, {})
    if step == "discharge":
        extra["fit_for_discharge"] = data["fit_for_discharge"]
    try:
        service(appointment=appointment, user=request.user, at=data["at"], **extra)
    except VisitTooEarly as exc:
        return _appointment_page(
            request, _appointment_or_404(pk), status=409, clock_problem=exc, clock_step=step, time_form=form
        )
    except visits.VisitError as exc:
        return _appointment_page(request, _appointment_or_404(pk), status=409, error=exc.message)
    messages.success(request, message.format(name=appointment.patient.full_name))
    return redirect(appointment)


@login_required
@permission_required("scheduling.perform_visit", raise_exception=True)
@require_POST
def visit_no_show(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment_or_404(pk)
    try:
        visits.appointment_no_show(appointment=appointment, user=request.user)
    except visits.VisitError as exc:
        return _appointment_page(request, appointment, status=409, error=exc.message)
    messages.success(request, f"{appointment.patient.full_name} is recorded as a no-show; the dose is still due.")
    return redirect(appointment)


@login_required
@permission_required("scheduling.perform_visit", raise_exception=True)
@require_POST
def visit_premedication(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment_or_404(pk)
    form = PremedicationForm(request.POST, appointment=appointment)
    if not form.is_valid():
        return _appointment_page(request, appointment, status=400, premedication_form=form)
    try:
        given = visits.premedication_record(
            appointment=appointment,
            premedication_id=form.cleaned_data["premedication"].pk,
            given_at=form.cleaned_data["given_at"],
            user=request.user,
        )
    except visits.VisitError as exc:
        return _appointment_page(request, _appointment_or_404(pk), status=409, error=exc.message)
    messages.success(request, f"{given.premedication} given at {formats.time(given.given_at)}.")
    return redirect(appointment)


@login_required
@permission_required("scheduling.perform_visit", raise_exception=True)
@require_POST
def visit_start(request: HttpRequest, pk: int) -> HttpResponse:
    """Start the infusion; a blocking readiness problem shows its reasons and, for those allowed, an override."""
    appointment = _appointment_or_404(pk)
    override_reason = ""
    override_form = OverrideForm(request.POST)
    if "override_reason" in request.POST:
        if not request.user.has_perm("scheduling.override_readiness"):
            raise PermissionDenied
        if not override_form.is_valid():
            problems, hard_stops = visits.infusion_start_blockers(appointment)
            return _appointment_page(
                request,
                appointment,
                status=400,
                override_form=override_form,
                blocked_problems=problems,
                hard_stops=hard_stops,
            )
        override_reason = override_form.cleaned_data["override_reason"]
    early_start_reason = request.POST.get("early_start_reason", "")[:1000]
    try:
        visits.infusion_start(
            appointment=appointment,
            user=request.user,
            override_reason=override_reason,
            early_start_reason=early_start_reason,
        )
    except visits.ReadinessBlocked as exc:
        return _appointment_page(
            request, appointment, status=409, blocked_problems=exc.problems, hard_stops=exc.hard_stops
        )
    except VisitTooEarly as exc:
        return _appointment_page(
            request, appointment, status=409, clock_problem=exc, clock_step="start", override_reason=override_reason
        )
    except visits.VisitError as exc:
        return _appointment_page(request, _appointment_or_404(pk), status=409, error=exc.message)
    if override_reason:
        messages.warning(request, "The infusion started despite the readiness problem; your reason is recorded.")
    else:
        messages.success(request, "The infusion has started.")
    return redirect(appointment)


@login_required
@permission_required("scheduling.add_infusionreaction", raise_exception=True)
@require_POST
def visit_reaction(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment_or_404(pk)
    form = ReactionForm(request.POST)
    if not form.is_valid():
        return _appointment_page(request, appointment, status=400, reaction_form=form, open_reaction=True)
    data = form.cleaned_data
    try:
        reaction = visits.reaction_record(
            appointment=appointment,
            occurred_at=data["occurred_at"],
            severity=data["severity"],
            symptoms=data["symptoms"],
            action_taken=data["action_taken"],
            user=request.user,
        )
    except visits.VisitError as exc:
        return _appointment_page(request, appointment, status=409, reaction_form=form, error=exc.message)
    note = " Shortened infusions are no longer offered to this patient." if reaction.is_serious else ""
    messages.warning(request, f"{reaction.get_severity_display()} reaction recorded.{note}")
    return redirect(appointment)
