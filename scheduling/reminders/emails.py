"""Builds each reminder's email from the center-editable templates `templates/emails/<kind>_{subject,body}.*`.

Minimum necessary: a first name, dates and times, the center's address and phone. Subjects never name a drug
or the diagnosis; bodies never name the diagnosis, and name drugs only while REMINDERS_INCLUDE_DRUG_NAMES is on.
"""

from __future__ import annotations

import datetime
from email.mime.text import MIMEText
from email.utils import parseaddr

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from infusion_center import formats
from scheduling.engine.protocol import premedication_applies
from scheduling.models import Appointment, Premedication, Reminder
from scheduling.reminders.calendar import METHOD_CANCEL, METHOD_REQUEST, CalendarEvent, calendar_file

UNSUBSCRIBE_SALT = "scheduling.reminders.unsubscribe"
CALENDAR_KINDS = {
    Reminder.Kind.CONFIRMATION: METHOD_REQUEST,
    Reminder.Kind.UPDATE: METHOD_REQUEST,
    Reminder.Kind.CANCELLATION: METHOD_CANCEL,
}


# --- formatting ------------------------------------------------------------------------------------------


def duration_label(minutes: int) -> str:
    """245 -> '4 hours 5 minutes'; 60 -> '1 hour'; 45 -> '45 minutes'."""
    hours, mins = divmod(int(minutes), 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if mins or not hours:
        parts.append(f"{mins} minute{'s' if mins != 1 else ''}")
    return " ".join(parts)


def _local(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment)


def time_label(moment: datetime.datetime) -> str:
    return formats.time(moment)


def date_label(moment: datetime.datetime) -> str:
    return formats.date_long(moment)


def when_phrase(moment: datetime.datetime, now: datetime.datetime) -> str:
    """'today, Monday 7 December 2026', 'tomorrow, Tuesday ...' or 'on Monday 7 December 2026' (never the
    weekday twice)."""
    days = (_local(moment).date() - _local(now).date()).days
    if days == 0:
        return f"today, {date_label(moment)}"
    if days == 1:
        return f"tomorrow, {date_label(moment)}"
    return f"on {date_label(moment)}"


def arrival(appointment: Appointment) -> datetime.datetime:
    """When the patient should arrive: the check-in margin before the premedication (or the infusion) starts."""
    return appointment.premed_start - datetime.timedelta(minutes=settings.REMINDERS_ARRIVAL_MARGIN_MINUTES)


# Words a patient knows, for the catalogue's pharmacology terms and routes.
PLAIN_WORDS = (
    ("Antipyretic", "a fever and pain reliever"),
    ("antipyretic", "a fever and pain reliever"),
    ("Antihistamine", "an allergy medicine"),
    ("antihistamine", "an allergy medicine"),
    ("corticosteroid", "steroid"),
    ("Corticosteroid", "Steroid"),
)
PLAIN_ROUTES = {
    "IV": "through the drip",
    "PO": "as tablets",
    "IV/PO": "as tablets or through the drip",
    "PO/IV": "as tablets or through the drip",
    "SC": "as an injection under the skin",
    "IM": "as an injection into a muscle",
}


def plain_medicine(name: str) -> str:
    """'Antipyretic (e.g. acetaminophen)' -> 'A fever and pain reliever (for example acetaminophen)'."""
    text = name.replace("e.g. ", "for example ").replace("and/or", "or")
    for word, plain in PLAIN_WORDS:
        text = text.replace(word, plain)
    return text[:1].upper() + text[1:]


def plain_route(route: str) -> str:
    return PLAIN_ROUTES.get(route.strip().upper().replace(" ", ""), "") if route else ""


def relative_day(moment: datetime.datetime, now: datetime.datetime) -> str:
    """'today', 'tomorrow' or 'on Monday', from the center's calendar."""
    days = (_local(moment).date() - _local(now).date()).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    return f"on {formats.weekday(moment)}"


def visit_day(moment: datetime.datetime, now: datetime.datetime) -> str:
    """When a past visit was, from the center's calendar: 'today', 'yesterday' or 'on Monday 7 December'."""
    days = (_local(now).date() - _local(moment).date()).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"on {formats.day_long(moment)}"


def short_date_label(moment: datetime.datetime) -> str:
    return formats.day_month(moment)


def drug_label(drug) -> str:
    """The name a patient knows: the brand, or the generic name for a drug given as a generic."""
    if "generic" in drug.brand_name.lower():
        return drug.generic_name.capitalize()
    return drug.brand_name


# --- unsubscribe -----------------------------------------------------------------------------------------


def unsubscribe_token(patient_id: int) -> str:
    return signing.dumps({"p": patient_id}, salt=UNSUBSCRIBE_SALT, compress=True)


def patient_id_from_token(token: str) -> int | None:
    """The patient a link was made for, or None for a forged or damaged link (links do not expire)."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    patient_id = data.get("p") if isinstance(data, dict) else None
    return patient_id if isinstance(patient_id, int) else None


def unsubscribe_url(patient_id: int) -> str:
    path = reverse("scheduling:reminders-unsubscribe", args=[unsubscribe_token(patient_id)])
    return f"{settings.CENTER_SITE_URL}{path}"


# --- context ---------------------------------------------------------------------------------------------


def _premedications(appointment: Appointment, phase_premedications: list[Premedication] | None) -> list[Premedication]:
    if phase_premedications is None:
        phase_premedications = list(appointment.phase.premedications.all())
    return [p for p in phase_premedications if premedication_applies(p.only_on_course_days, appointment.course_day)]


def course_appointments(appointment: Appointment) -> list[Appointment]:
    """The active days of the appointment's course, in order (just the appointment when it is a single visit)."""
    if not appointment.course_id:
        return [appointment]
    days = list(
        Appointment.objects.filter(course_id=appointment.course_id, status__in=Appointment.ACTIVE_STATUSES).order_by(
            "course_day", "premed_start"
        )
    )
    return days or [appointment]


def _appointments_told(kind: str, appointment: Appointment, course: list[Appointment]) -> list[Appointment]:
    """The visits one email is about: a confirmation tells of the whole course; a cancellation of the days
    cancelled together with it (a whole course cancelled at once); other emails of their own visit."""
    if kind == Reminder.Kind.CONFIRMATION:
        return course
    if kind == Reminder.Kind.CANCELLATION and appointment.course_id and appointment.cancelled_at:
        together = list(
            Appointment.objects.filter(
                course_id=appointment.course_id,
                status=Appointment.Status.CANCELLED,
                cancelled_at=appointment.cancelled_at,
            ).order_by("course_day", "premed_start")
        )
        return together or [appointment]
    return [appointment]


def reminder_context(
    reminder: Reminder,
    *,
    now: datetime.datetime | None = None,
    premedications: list[Premedication] | None = None,
    told: list[Appointment] | None = None,
    course: list[Appointment] | None = None,
) -> dict:
    """What the templates show. `premedications`: the appointment's phase's rows when the caller has them;
    `course` and `told`: the course's days and the visits the email is about, when the caller has read them."""
    now = now or timezone.now()
    appointment = reminder.appointment
    if course is None:
        course = course_appointments(appointment)
    if told is None:
        told = _appointments_told(reminder.kind, appointment, course)
    names_on = settings.REMINDERS_INCLUDE_DRUG_NAMES
    return {
        "kind": reminder.kind,
        "first_name": appointment.patient.first_name,
        "include_drug_names": names_on,
        **_center_context(),
        **_visit_context(appointment, now, names_on),
        **_premedication_context(appointment, premedications, names_on),
        "course_days": [
            {
                "day": a.course_day,
                "date": date_label(a.premed_start),
                "arrival_time": time_label(arrival(a)),
                "finish_time": time_label(a.observation_end),
            }
            for a in told
        ]
        if len(told) > 1
        else [],
        "course_length": len(course),
        **_after_visit_context(appointment, now),
        "unsubscribe_url": unsubscribe_url(appointment.patient_id),
        **_reply_context(reminder, appointment),
    }


def _center_context() -> dict:
    return {
        "center_name": settings.CENTER_NAME,
        "center_address": settings.CENTER_ADDRESS,
        "center_phone": settings.CENTER_PHONE,
        "emergency_number": settings.CENTER_EMERGENCY_NUMBER,
        "after_hours_phone": settings.CENTER_AFTER_HOURS_PHONE,
    }


def _visit_context(appointment: Appointment, now: datetime.datetime, names_on: bool) -> dict:
    """The visit: what it is, when to come, how long it takes."""
    drug = appointment.phase.drug
    noun = _noun(appointment)
    patient = appointment.patient
    return {
        "drug_name": drug_label(drug) if names_on else "",
        "visit_noun": noun,
        "treatment": f"your {drug_label(drug)} {noun}" if names_on else f"your {noun}",
        "date": date_label(appointment.premed_start),
        "short_date": short_date_label(appointment.premed_start),
        "day_word": relative_day(appointment.premed_start, now),
        "visit_day": visit_day(appointment.discharged_at or now, now),
        "arrival_time": time_label(arrival(appointment)),
        "premed_time": time_label(appointment.premed_start),
        "when_phrase": when_phrase(appointment.premed_start, now),
        "start_time": time_label(appointment.infusion_start),
        "finish_time": time_label(appointment.observation_end),
        "total_time": duration_label(appointment.chair_minutes),
        "observation_time": duration_label(
            int((appointment.observation_end - appointment.infusion_end).total_seconds() // 60)
        ),
        "has_observation": appointment.observation_end > appointment.infusion_end,
        "full_day": appointment.chair_minutes >= 6 * 60,
        "fluid_restriction": patient.fluid_restriction,
        "ask_pregnancy": patient.reproductive_potential,
    }


def _premedication_context(
    appointment: Appointment, premedications: list[Premedication] | None, names_on: bool
) -> dict:
    premeds = _premedications(appointment, premedications)
    lead = max((p.minutes_before for p in premeds if p.required), default=0)
    return {
        "premedications": [
            {
                "name": plain_medicine(p.drug_name) if names_on else "",
                "dose": p.dose if names_on else "",
                "route": plain_route(p.route),
                "minutes_before": p.minutes_before,
                "required": p.required,
            }
            for p in premeds
        ],
        "has_premedication": any(p.required for p in premeds),
        "premedication_lead": duration_label(lead) if lead else "",
    }


def _after_visit_context(appointment: Appointment, now: datetime.datetime) -> dict:
    """What to watch for after the visit: the drug's reaction window and stroke warning, counted in real hours."""
    drug = appointment.phase.drug
    discharged_at = (appointment.discharged_at or now).astimezone(datetime.UTC)  # real hours, not wall-clock
    window = drug.reaction_window_hours
    stroke_days = drug.stroke_warning_days
    return {
        "reaction_window_hours": window,
        "reaction_window_end": (
            f"{time_label(discharged_at + datetime.timedelta(hours=window))} on "
            f"{date_label(discharged_at + datetime.timedelta(hours=window))}"
            if window
            else ""
        ),
        "stroke_warning_days": stroke_days,
        "stroke_warning_until": date_label(discharged_at + datetime.timedelta(days=stroke_days)) if stroke_days else "",
    }


def _reply_context(reminder: Reminder, appointment: Appointment) -> dict:
    """The patient's answer links (replies app) and the drug's own advice."""
    from replies import links
    from replies.models import DrugAdvice
    from replies.services.confirm import confirmation_of

    advice = DrugAdvice.objects.filter(drug_id=appointment.phase.drug_id).first()
    context = {
        "advice_before": advice.before_visit if advice else "",
        "advice_after": advice.after_visit if advice else "",
    }
    if reminder.kind in (Reminder.Kind.CONFIRMATION, Reminder.Kind.UPDATE, Reminder.Kind.PREPARATION):
        answer = confirmation_of(appointment)
        context.update(
            {
                "confirm_url": links.visit_url(appointment.uid),
                "another_time_url": links.visit_url(appointment.uid, "another-time"),
                "cancel_url": links.visit_url(appointment.uid, "cancel"),
                "is_confirmed": answer is not None and answer.answer == answer.Answer.CONFIRMED,
                "cutoff_hours": settings.PATIENT_CANCEL_CUTOFF_HOURS,
            }
        )
    if reminder.kind in Reminder.AFTER_VISIT_KINDS:
        context.update(
            {
                "fine_url": links.after_visit_url(appointment.uid, "fine"),
                "symptoms_url": links.after_visit_url(appointment.uid, "symptoms"),
            }
        )
    return context


# --- message ---------------------------------------------------------------------------------------------


def _render(kind: str, part: str, context: dict) -> str:
    return render_to_string(f"emails/{kind}_{part}", context)


def render_subject(kind: str, context: dict) -> str:
    return " ".join(_render(kind, "subject.txt", context).split())


def appointment_calendar(appointment: Appointment, *, method: str, stamp: datetime.datetime) -> bytes:
    center = settings.CENTER_NAME
    from_name, from_email = parseaddr(settings.DEFAULT_FROM_EMAIL)
    description = (
        f"Please arrive at {time_label(arrival(appointment))}; the {_noun(appointment)} starts at "
        f"{time_label(appointment.infusion_start)}. "
        f"Plan to stay until about {time_label(appointment.observation_end)}. "
        f"{center}, {settings.CENTER_ADDRESS}. Questions or changes: {settings.CENTER_PHONE}."
    )
    return calendar_file(
        CalendarEvent(
            uid=f"{appointment.uid}@{from_email.rpartition('@')[2] or 'infusion-center'}",
            # A cancellation is a new revision: calendar apps ignore a CANCEL that carries the old SEQUENCE.
            sequence=appointment.ics_sequence + (1 if method == METHOD_CANCEL else 0),
            start=arrival(appointment),
            end=appointment.observation_end,
            summary=f"Appointment at {center}",
            location=settings.CENTER_ADDRESS,
            description=description,
            organizer_email=from_email,
            organizer_name=from_name or center,
            attendee_email=appointment.patient.email,
            attendee_name=appointment.patient.first_name,
        ),
        method=method,
        stamp=stamp,
    )


def _noun(appointment: Appointment) -> str:
    return "injection" if appointment.phase.drug.route == "SC" else "infusion"


def reminder_message(
    reminder: Reminder, *, now: datetime.datetime | None = None, premedications: list[Premedication] | None = None
) -> EmailMultiAlternatives:
    """The complete email (plain text, HTML, unsubscribe headers and, where it applies, .ics files)."""
    now = now or timezone.now()
    kind = reminder.kind
    course = course_appointments(reminder.appointment)
    told = _appointments_told(kind, reminder.appointment, course)
    context = reminder_context(reminder, now=now, premedications=premedications, told=told, course=course)
    message = EmailMultiAlternatives(
        subject=render_subject(kind, context),
        body=_render(kind, "body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[reminder.appointment.patient.email],
        headers={
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            "X-Reminder-ID": str(reminder.pk),
        },
    )
    message.attach_alternative(_render(kind, "body.html", context), "text/html")

    method = CALENDAR_KINDS.get(kind)
    if method:
        for number, appointment in enumerate(told, start=1):
            part = MIMEText(appointment_calendar(appointment, method=method, stamp=now).decode(), "calendar", "utf-8")
            part.set_param("method", method)
            filename = "appointment.ics" if len(told) == 1 else f"appointment-day-{number}.ics"
            part.add_header("Content-Disposition", "attachment", filename=filename)
            message.attach(part)
    return message
