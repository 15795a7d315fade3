"""Staff pages: the schedulers' replies queue (call to confirm, another time), the waitlist with freed chair
times, and the nurses' after-visit follow-up queue. Every page that shows patients logs each one shown."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from infusion_center import formats
from patients.models import PatientAccess
from replies import selectors
from replies.forms import CallForm, FollowUpForm, HandledForm, WaitlistForm
from replies.models import AfterVisitAnswer, AnotherTimeRequest, FreedTime, WaitlistEntry
from replies.services import after_visit, confirm, waitlist
from replies.services.confirm import ReplyError
from scheduling.models import Appointment, TreatmentPlan

SCHEDULER = "scheduling.change_appointment"
NURSE = "scheduling.add_infusionreaction"


def log_patients_shown(request, patient_ids) -> None:
    """One access-log row per patient a queue page shows (the same record as opening each patient's page)."""
    from axes.helpers import get_client_ip_address

    match = getattr(request, "resolver_match", None)
    PatientAccess.objects.bulk_create(
        [
            PatientAccess(
                patient_id=patient_id,
                user=request.user,
                username=request.user.get_username(),
                path=request.path[:500],
                view_name=(match.view_name if match else "")[:200],
                ip_address=get_client_ip_address(request) or None,
            )
            for patient_id in sorted(set(patient_ids))
        ]
    )


def _scheduled_or_404(pk: int) -> Appointment:
    return get_object_or_404(Appointment.objects.select_related("patient"), pk=pk)


# --- schedulers: replies ----------------------------------------------------------------------------------------


@login_required
@permission_required(SCHEDULER, raise_exception=True)
def replies_queue(request):
    calls = selectors.calls_to_confirm()
    requests_ = list(selectors.another_time_requests())
    log_patients_shown(request, [c["patient"].pk for c in calls] + [r.appointment.patient_id for r in requests_])
    context = {
        "calls": [{**c, "form": CallForm(prefix=f"call-{c['appointment'].pk}")} for c in calls],
        "another_time": requests_,
        "handled_form": HandledForm(),
        "nav": "replies",
    }
    return render(request, "replies/staff/replies_queue.html", context)


@login_required
@permission_required(SCHEDULER, raise_exception=True)
@require_POST
def call_record_view(request, pk: int):
    appointment = _scheduled_or_404(pk)
    form = CallForm(request.POST, prefix=f"call-{pk}")
    if not form.is_valid():
        messages.error(request, "Choose what came of the call.")
        return redirect("replies:queue")
    try:
        attempt = confirm.call_record(
            appointment=appointment,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
            weekdays=form.cleaned_data["weekdays"],
            user=request.user,
        )
    except ReplyError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Call to {appointment.patient.full_name}: {attempt.get_outcome_display()}.")
    return redirect("replies:queue")


@login_required
@permission_required(SCHEDULER, raise_exception=True)
@require_POST
def another_time_handled_view(request, pk: int):
    row = get_object_or_404(AnotherTimeRequest.objects.select_related("appointment__patient"), pk=pk)
    form = HandledForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    confirm.another_time_handled(request=row, user=request.user, note=note)
    messages.success(request, f"The request of {row.appointment.patient.full_name} is done.")
    return redirect("replies:queue")


# --- schedulers: waitlist ---------------------------------------------------------------------------------------


@login_required
@permission_required(SCHEDULER, raise_exception=True)
def waitlist_page(request):
    needs, entries_ = {}, waitlist.waiting_entries()
    freed = [
        {"freed": f, "candidates": waitlist.candidates(f, needs, entries_)}
        for f in waitlist.open_freed_times().prefetch_related("offers")[:20]
    ]
    entries = list(selectors.waitlist())
    shown = [e.plan.patient_id for e in entries] + [c.entry.plan.patient_id for f in freed for c in f["candidates"]]
    log_patients_shown(request, shown)
    return render(request, "replies/staff/waitlist.html", {"freed": freed, "entries": entries, "nav": "waitlist"})


@login_required
@permission_required(SCHEDULER, raise_exception=True)
def waitlist_add_view(request, plan_id: int):
    plan = get_object_or_404(TreatmentPlan.objects.select_related("patient", "drug"), pk=plan_id)
    booked = (
        Appointment.objects.filter(plan=plan, status=Appointment.Status.SCHEDULED, premed_start__gt=timezone.now())
        .order_by("premed_start")
        .first()
    )
    form = WaitlistForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                waitlist.waitlist_add(
                    plan=plan,
                    appointment=booked,
                    weekdays=form.cleaned_data["weekdays"],
                    note=form.cleaned_data["note"],
                    user=request.user,
                )
            except ReplyError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"{plan.patient.full_name} is on the waitlist for an earlier time.")
                return redirect("replies:waitlist")
        status = 400
    response = render(
        request,
        "replies/staff/waitlist_add.html",
        {"plan": plan, "patient": plan.patient, "booked": booked, "form": form, "nav": "waitlist"},
        status=status,
    )
    if status == 200:
        log_patients_shown(request, [plan.patient_id])
    return response


@login_required
@permission_required(SCHEDULER, raise_exception=True)
@require_POST
def waitlist_withdraw_view(request, pk: int):
    entry = get_object_or_404(WaitlistEntry.objects.select_related("plan__patient"), pk=pk)
    waitlist.waitlist_withdraw(entry=entry, user=request.user)
    messages.success(request, f"{entry.plan.patient.full_name} is off the waitlist.")
    return redirect("replies:waitlist")


@login_required
@permission_required(SCHEDULER, raise_exception=True)
@require_POST
def freed_book_view(request, pk: int, entry_id: int):
    freed = get_object_or_404(FreedTime, pk=pk)
    entry = get_object_or_404(WaitlistEntry.objects.select_related("plan__patient"), pk=entry_id)
    try:
        booked = waitlist.freed_time_book(freed=freed, entry=entry, user=request.user)
    except ReplyError as exc:
        messages.error(request, exc.message)
        return redirect("replies:waitlist")
    when = timezone.localtime(booked.premed_start)
    messages.success(
        request,
        f"Booked {entry.plan.patient.full_name} in {booked.chair} on {formats.day(when)} at {formats.time(when)}.",
    )
    return redirect(booked)


@login_required
@permission_required(SCHEDULER, raise_exception=True)
@require_POST
def freed_close_view(request, pk: int):
    freed = FreedTime.objects.filter(pk=pk, status=FreedTime.Status.OPEN).first()
    if freed is None:
        raise Http404("No such open freed time.")
    freed.status = FreedTime.Status.CLOSED
    freed._history_user = request.user
    freed.save()
    messages.success(request, "The freed time is no longer offered.")
    return redirect("replies:waitlist")


# --- nurses: after-visit follow-up -------------------------------------------------------------------------------


@login_required
@permission_required(NURSE, raise_exception=True)
def follow_up_page(request):
    items = selectors.follow_up_queue()
    for item in items:
        item.form = FollowUpForm(prefix=f"fu-{item.appointment.pk}")
        item.symptoms_text = after_visit.describe(item.report) if item.report else ""
    log_patients_shown(request, [item.appointment.patient_id for item in items])
    return render(request, "replies/staff/follow_up.html", {"items": items, "nav": "follow-up"})


@login_required
@permission_required(NURSE, raise_exception=True)
@require_POST
def follow_up_close_view(request, pk: int):
    appointment = get_object_or_404(Appointment.objects.select_related("patient", "phase__drug"), pk=pk)
    form = FollowUpForm(request.POST, prefix=f"fu-{pk}")
    if not form.is_valid():
        errors = " ".join(e for errs in form.errors.values() for e in errs)
        messages.error(request, errors or "Choose the outcome of the follow-up.")
        return redirect("replies:follow-up")
    report_id = request.POST.get("report")
    report = None
    if report_id:
        report = AfterVisitAnswer.objects.filter(pk=report_id, appointment=appointment).first()
        if report is None:
            raise Http404("No such report for this visit.")
    data = form.cleaned_data
    try:
        closed = after_visit.follow_up_close(
            appointment=appointment,
            report=report,
            outcome=data["outcome"],
            note=data["note"],
            severity=data["severity"],
            user=request.user,
        )
    except ReplyError as exc:
        messages.error(request, exc.message)
    else:
        extra = " The reaction is recorded on the visit." if closed.reaction_id else ""
        messages.success(
            request, f"Follow-up of {appointment.patient.full_name}: {closed.get_outcome_display()}.{extra}"
        )
    return redirect("replies:follow-up")
