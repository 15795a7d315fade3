"""Staff pages for the day's work: chair board, week, worklist, appointments, visits and booking.

Views stay thin: they parse input with a form, call a selector or a service, and render.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from authorisations.views import warn_authorisation
from infusion_center import formats
from patients.access import patient_shown, patients_shown
from patients.models import Patient
from pharmacy.board import annotate_board_pharmacy
from scheduling import board as board_layout
from scheduling import selectors
from scheduling.board_cache import board_grid_and_patients
from scheduling.forms import (
    CancelForm,
    DayForm,
    MaintenanceForm,
    OverrideForm,
    PlanStartForm,
    PremedicationForm,
    ReactionForm,
    SlotPickForm,
    SlotSearchForm,
    VisitTimeForm,
)
from scheduling.models import Appointment, TreatmentPlan
from scheduling.reminders.selectors import reminders_for_appointment
from scheduling.services import booking, courses, visits
from scheduling.services.capacity import day_load
from scheduling.services.plans import PlanError, plan_start
from scheduling.services.readiness import (
    readiness_for_appointments,
    readiness_for_loaded_appointments,
    readiness_for_plans,
)
from scheduling.services.visit_clock import VisitTooEarly, observation_minutes_left
from scheduling.visit_history import appointment_timeline, visit_clock_summary

S = Appointment.Status
WORKLIST_HORIZON_DAYS = 30


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


# ---------------------------------------------------------------------------
# Chair board
# ---------------------------------------------------------------------------


def board_context(day: datetime.date, *, now: datetime.datetime | None = None) -> dict:
    """The context of `_board.html` (its grid is cached by scheduling.board_cache: it must not depend on the user)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    appointments = selectors.appointments_for_board(day)
    chairs = selectors.chairs_for_board()
    load = day_load(day=day)
    closures = selectors.closures_between(day, day)
    readiness = readiness_for_loaded_appointments([a for a in appointments if a.is_active])
    observation_left = observation_minutes_left(appointments, now=now)
    axis = board_layout.make_axis(day, load.opens_at, load.closes_at, appointments)
    lanes = board_layout.build_lanes(
        axis=axis,
        chairs=chairs,
        appointments=appointments,
        closed_chair_ids=load.closed_chair_ids,
        center_closed_reason=load.center_closed_reason,
        closures=closures,
        readiness=readiness,
        now=now,
    )
    for lane in lanes:  # observing patients show the time left before discharge
        for item in lane.items:
            left = observation_left.get(item.appointment.pk)
            if left is not None:
                item.state = f"Observing · {left} min left" if left else "Observation over"
    _mark_confirmations(lanes, appointments)
    annotate_board_pharmacy(lanes)
    in_bars, peak_in, cap_in_y = board_layout.load_bars(
        load.ticks, axis=axis, cap=load.monitor_cap, index=1, label="in chairs"
    )
    start_bars, peak_start, cap_start_y = board_layout.load_bars(
        load.ticks, axis=axis, cap=load.start_cap, index=2, label="starting"
    )
    now_column = None
    if today == day:
        column = axis.column(now)
        if 1 <= column <= axis.columns:
            now_column = column + 1  # the board's first column holds the chair names
    counts = {"ready": 0, "warnings": 0, "blocked": 0}
    for item in readiness.values():
        counts[item.status] = counts.get(item.status, 0) + 1
    return {
        "day": day,
        "previous_day": day - datetime.timedelta(days=1),
        "next_day": day + datetime.timedelta(days=1),
        "is_today": day == today,
        "axis": axis,
        "lanes": lanes,
        "load": load,
        "svg_width": axis.columns * board_layout.TICK_MINUTES,
        "in_bars": in_bars,
        "peak_in": peak_in,
        "cap_in_y": cap_in_y,
        "start_bars": start_bars,
        "peak_start": peak_start,
        "cap_start_y": cap_start_y,
        "overloaded": any(b.over for b in in_bars) or any(b.over for b in start_bars),
        "now_column": now_column,
        "booked": sum(1 for a in appointments if a.is_active),
        "readiness_counts": counts,
        "refreshed_at": timezone.localtime(now),
        "patient_ids": sorted({a.patient_id for a in appointments}),  # for the access log
    }


def _mark_confirmations(lanes, appointments) -> None:
    """Whether each booked patient confirmed (replies app): a mark on the block and a word in its tooltip."""
    from replies.selectors import confirmation_marks

    marks = confirmation_marks(appointments)
    for lane in lanes:
        for item in lane.items:
            item.confirmation = marks.get(item.appointment.pk)
            if item.confirmation is not None:
                item.title = f"{item.title.rstrip()} · {item.confirmation.label}"


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


# ---------------------------------------------------------------------------
# Week view
# ---------------------------------------------------------------------------


@login_required
@permission_required("scheduling.view_appointment", raise_exception=True)
def week(request: HttpRequest) -> HttpResponse:
    from scheduling.reports import week_fill

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


# ---------------------------------------------------------------------------
# Worklist
# ---------------------------------------------------------------------------


@login_required
@permission_required("scheduling.add_appointment", raise_exception=True)
def worklist(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    horizon = today + datetime.timedelta(days=WORKLIST_HORIZON_DAYS)
    rows = []
    for plan, next_dose in selectors.next_doses_for_plans(selectors.plans_needing_booking()):
        if next_dose is None or next_dose.target > horizon:
            continue
        rows.append(
            {
                "plan": plan,
                "next": next_dose,
                "overdue": next_dose.is_overdue(today),
                "days": (next_dose.target - today).days,
                "late_days": (today - next_dose.latest).days,
            }
        )
    readiness = readiness_for_plans((row["plan"], row["next"], max(row["next"].target, today)) for row in rows)
    for row in rows:
        row["readiness"] = readiness[row["plan"].pk]
    rows.sort(key=lambda r: (not r["overdue"], r["next"].latest, r["next"].target, r["plan"].patient.last_name))
    patients_shown(request, (row["plan"].patient_id for row in rows))
    return render(request, "scheduling/worklist.html", {"rows": rows, "today": today, "nav": "worklist"})


# ---------------------------------------------------------------------------
# Appointment page and the visit workflow
# ---------------------------------------------------------------------------


def _appointment_or_404(pk: int) -> Appointment:
    try:
        return selectors.appointment_for_detail(pk=pk)
    except Appointment.DoesNotExist as exc:
        raise Http404("No such appointment.") from exc


def _premedication_rows(appointment: Appointment) -> list[dict]:
    given = {g.premedication_id: g for g in appointment.premedications_given.all()}
    rows = []
    for premed in appointment.phase.premedications.all():
        if premed.only_on_course_days is not None and appointment.course_day > premed.only_on_course_days:
            continue
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
        "can_check_in": appointment.status == S.SCHEDULED and appointment.local_date == timezone.localdate(),
        "can_premedicate": appointment.status in (S.CHECKED_IN, S.PREMEDICATED),
        "can_start": appointment.status in (S.CHECKED_IN, S.PREMEDICATED),
        "can_end": appointment.status == S.INFUSING,
        "can_discharge": appointment.status == S.OBSERVING,
        "can_no_show": appointment.status == S.SCHEDULED and timezone.now() >= appointment.premed_start,
        "can_react": appointment.status in Appointment.GIVEN_STATUSES,
        "can_change_booking": appointment.status == S.SCHEDULED,
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


# ---------------------------------------------------------------------------
# Plans and booking
# ---------------------------------------------------------------------------


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
    next_dose = booking.plan_next_dose_to_book(plan=plan) if appointment is None else None
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
    return get_object_or_404(TreatmentPlan.objects.select_related("patient", "drug"), pk=pk)


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
    if appointment.status != S.SCHEDULED:
        return _appointment_page(
            request, appointment, status=409, error="Only a scheduled appointment can be rescheduled."
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
