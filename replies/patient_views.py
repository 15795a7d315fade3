"""The pages patients open from their emails: public, reached only by a signed link (replies.links).

GET only shows; every answer is a POST from the page, so a mail scanner that prefetches a link confirms,
cancels or reports nothing. The pages show the day, time and center, nothing about the diagnosis or the drug,
carry no staff navigation, and load one stylesheet (no inline script or style).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from infusion_center import formats
from replies import links
from replies.forms import AnotherTimeForm, PatientCancelForm, SymptomsForm
from replies.models import WEEKDAY_NAMES, AfterVisitAnswer, WaitlistOffer
from replies.services import after_visit, confirm, waitlist
from replies.services.confirm import ReplyError
from scheduling.models import Appointment

GET_POST = require_http_methods(["GET", "HEAD", "POST"])


def _page(request, template: str, context: dict, status: int = 200):
    base = {
        "center_name": settings.CENTER_NAME,
        "center_address": settings.CENTER_ADDRESS,
        "center_phone": settings.CENTER_PHONE,
        "after_hours_phone": settings.CENTER_AFTER_HOURS_PHONE,
        "emergency_number": settings.CENTER_EMERGENCY_NUMBER,
    }
    response = render(request, f"replies/patient/{template}", {**base, **context}, status=status)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _link_problem(request, reason: str):
    return _page(request, "link_problem.html", {"reason": reason}, status=410 if reason == "expired" else 404)


def _appointment(token: str, purpose: str) -> Appointment:
    ref = links.read_token(token, purpose)
    appointment = Appointment.objects.select_related("patient", "phase__drug").filter(uid=ref.uid).first()
    if appointment is None:
        raise links.LinkError("invalid")
    return appointment


def _when(appointment: Appointment) -> dict:
    local = timezone.localtime(appointment.premed_start)
    arrive = local - datetime.timedelta(minutes=settings.REMINDERS_ARRIVAL_MARGIN_MINUTES)
    return {"day": formats.date_long(local), "arrival": formats.time(arrive)}


def _visit_context(appointment: Appointment, token: str) -> dict:
    now = timezone.now()
    answer = confirm.confirmation_of(appointment)
    return {
        "token": token,
        "first_name": appointment.patient.first_name,
        **_when(appointment),
        "status": appointment.status,
        "cancelled": appointment.status == Appointment.Status.CANCELLED,
        "passed": appointment.premed_start <= now or appointment.status != Appointment.Status.SCHEDULED,
        "confirmed": answer is not None and answer.answer == answer.Answer.CONFIRMED,
        "asked_another_time": answer is not None and answer.answer == answer.Answer.ANOTHER_TIME,
        "can_cancel": confirm.can_cancel_online(appointment, now),
        "cutoff_hours": settings.PATIENT_CANCEL_CUTOFF_HOURS,
    }


@never_cache
@GET_POST
def visit(request, token: str):
    """Shows the visit; POST confirms it."""
    try:
        appointment = _appointment(token, links.VISIT)
    except links.LinkError as exc:
        return _link_problem(request, exc.reason)
    error = ""
    just_confirmed = False
    if request.method == "POST":
        try:
            confirm.patient_confirm(appointment=appointment)
            just_confirmed = True
        except ReplyError as exc:
            error = exc.message
        appointment.refresh_from_db()
    context = _visit_context(appointment, token)
    return _page(request, "visit.html", {**context, "error": error, "just_confirmed": just_confirmed})


@never_cache
@GET_POST
def cancel(request, token: str):
    try:
        appointment = _appointment(token, links.VISIT)
    except links.LinkError as exc:
        return _link_problem(request, exc.reason)
    form = PatientCancelForm(request.POST if request.method == "POST" else None)
    error = ""
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            confirm.patient_cancel(appointment=appointment, reason=form.cleaned_data["reason"])
        except ReplyError as exc:
            error, status = exc.message, 409
        appointment.refresh_from_db()
    context = _visit_context(appointment, token)
    return _page(request, "cancel.html", {**context, "form": form, "error": error}, status=status)


@never_cache
@GET_POST
def another_time(request, token: str):
    try:
        appointment = _appointment(token, links.VISIT)
    except links.LinkError as exc:
        return _link_problem(request, exc.reason)
    form = AnotherTimeForm(request.POST if request.method == "POST" else None)
    error, done, status = "", False, 200
    if request.method == "POST" and form.is_valid():
        try:
            request_row = confirm.patient_ask_another_time(
                appointment=appointment, weekdays=form.cleaned_data["weekdays"], note=form.cleaned_data["note"]
            )
            done = request_row.weekdays_label
        except ReplyError as exc:
            error, status = exc.message, 409
    context = _visit_context(appointment, token)
    return _page(request, "another_time.html", {**context, "form": form, "error": error, "done": done}, status=status)


def _after_context(appointment: Appointment, token: str) -> dict:
    hours = after_visit.window_hours(appointment)
    stroke_days = appointment.phase.drug.stroke_warning_days
    return {
        "token": token,
        "first_name": appointment.patient.first_name,
        "visit_day": _when(appointment)["day"],
        "window_hours": hours,
        "stroke_days": stroke_days,
        "finished": after_visit.can_answer(appointment),
    }


@never_cache
@GET_POST
def fine(request, token: str):
    try:
        appointment = _appointment(token, links.AFTER)
    except links.LinkError as exc:
        return _link_problem(request, exc.reason)
    error, done = "", False
    if request.method == "POST":
        try:
            after_visit.patient_fine(appointment=appointment)
            done = True
        except ReplyError as exc:
            error = exc.message
    else:
        done = AfterVisitAnswer.objects.filter(appointment=appointment, answer=AfterVisitAnswer.Answer.FINE).exists()
    return _page(request, "fine.html", {**_after_context(appointment, token), "error": error, "done": done})


@never_cache
@GET_POST
def symptoms(request, token: str):
    """The urgent signs and the emergency number come first, in large type; then the short form."""
    try:
        appointment = _appointment(token, links.AFTER)
    except links.LinkError as exc:
        return _link_problem(request, exc.reason)
    options = after_visit.symptom_options(appointment)
    form = SymptomsForm(
        request.POST if request.method == "POST" else None,
        options=options,
        initial={"callback_phone": appointment.patient.phone},
    )
    error, report, status = "", None, 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                report = after_visit.patient_symptoms(
                    appointment=appointment,
                    symptom_ids=[int(pk) for pk in data["symptoms"]],
                    other=data["other"],
                    started=data["started"],
                    callback_phone=data["callback_phone"],
                )
            except ReplyError as exc:
                error, status = exc.message, 409
        else:
            status = 400
    context = {
        **_after_context(appointment, token),
        "form": form,
        "urgent_options": [o for o in options if o.urgent],
        "other_options": [o for o in options if not o.urgent],
        "error": error,
        "report": report,
    }
    return _page(request, "symptoms.html", context, status=status)


@never_cache
@GET_POST
def offer(request, token: str):
    try:
        ref = links.read_token(token, links.OFFER)
    except links.LinkError as exc:
        return _link_problem(request, exc.reason)
    offer_row = (
        WaitlistOffer.objects.select_related("entry__plan__patient", "entry__appointment", "freed")
        .filter(uid=ref.uid)
        .first()
    )
    if offer_row is None:
        return _link_problem(request, "invalid")
    error, booked, status = "", None, 200
    if request.method == "POST":
        try:
            booked = waitlist.offer_accept(offer=offer_row)
        except ReplyError as exc:
            error, status = exc.message, 409
        offer_row.refresh_from_db()
    local = timezone.localtime(offer_row.premed_start)
    arrive = local - datetime.timedelta(minutes=settings.REMINDERS_ARRIVAL_MARGIN_MINUTES)
    context = {
        "first_name": offer_row.entry.plan.patient.first_name,
        "day": formats.date_long(local),
        "weekday": WEEKDAY_NAMES[local.weekday()],
        "arrival": formats.time(arrive),
        "accepted": offer_row.status == WaitlistOffer.Status.ACCEPTED,
        "open": offer_row.status == WaitlistOffer.Status.PENDING and offer_row.freed.status == "open",
        "booked": booked,
        "error": error,
        "moves_from": _when(offer_row.entry.appointment)["day"] if offer_row.entry.appointment_id else "",
    }
    return _page(request, "offer.html", context, status=status)
