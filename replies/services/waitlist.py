"""The waitlist: who would take an earlier time, what a cancellation or a move frees, and filling it.

Whether a waitlisted dose fits a freed time is the booking engine's answer (`booking.slots_find` for that day
and chair: dose window, chair time, the patient's other bookings, nurse caps), plus readiness on that day; the
ranking is `scheduling.engine.waitlist.rank`. Filling a freed time locks its row first, so however many
schedulers or patients accept at once, exactly one booking is made and the others are told it is taken.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from replies import links
from replies.models import FreedTime, WaitlistEntry, WaitlistOffer, weekday_set
from replies.services.confirm import ReplyError
from scheduling.engine.slots import Slot
from scheduling.engine.waitlist import WaitlistFit, rank
from scheduling.models import Appointment, TreatmentPlan

logger = logging.getLogger(__name__)
S = Appointment.Status


class OfferTaken(ReplyError):
    """The freed time went to someone else first."""


@dataclass
class Candidate:
    entry: WaitlistEntry
    slot: Slot
    fit: WaitlistFit
    reason: str

    @property
    def days_gained(self) -> int | None:
        return self.fit.days_gained


# --- the list ----------------------------------------------------------------------------------------------


@transaction.atomic
def waitlist_add(*, plan: TreatmentPlan, weekdays, note: str, user, appointment: Appointment | None = None):
    if plan.status != TreatmentPlan.Status.ACTIVE:
        raise ReplyError("Only an active plan can go on the waitlist.")
    if appointment is not None and (appointment.plan_id != plan.pk or appointment.status != S.SCHEDULED):
        raise ReplyError("Only a booked appointment of this plan can be brought forward.")
    if appointment is not None and appointment.course_id:
        raise ReplyError("A multi-day course is moved as a whole by a scheduler; it cannot go on the waitlist.")
    if WaitlistEntry.objects.filter(plan=plan, status=WaitlistEntry.Status.WAITING).exists():
        raise ReplyError("This plan is already on the waitlist.")
    entry = WaitlistEntry(
        plan=plan,
        appointment=appointment,
        weekdays=",".join(str(d) for d in sorted({int(d) for d in weekdays})),
        note=(note or "").strip()[:255],
        created_by=user,
    )
    entry._history_user = user
    entry.save()
    return entry


@transaction.atomic
def waitlist_withdraw(*, entry: WaitlistEntry, user) -> WaitlistEntry:
    entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.status == WaitlistEntry.Status.WAITING:
        entry.status = WaitlistEntry.Status.WITHDRAWN
        entry._history_user = user
        entry.save()
    return entry


# --- freed time ----------------------------------------------------------------------------------------------


def freed_time_record(*, chair_id: int, starts_at: datetime.datetime, ends_at: datetime.datetime, source, reason):
    """Called by the booking service inside its transaction when a booking is cancelled or moved away."""
    if starts_at <= timezone.now():
        return None
    freed = FreedTime.objects.create(
        chair_id=chair_id, starts_at=starts_at, ends_at=ends_at, source=source, reason=reason[:100]
    )
    if settings.WAITLIST_EMAIL_OFFERS:
        transaction.on_commit(lambda: _queue_offers(freed.pk), robust=True)
    return freed


def _queue_offers(freed_id: int) -> None:
    from replies.tasks import waitlist_offers_send

    try:
        waitlist_offers_send.apply_async((freed_id,), retry=False)
    except Exception:  # the broker is down: the beat sweep sends the offers of open freed times
        logger.warning("Could not queue the waitlist offers for freed time %s.", freed_id, exc_info=True)


def waiting_entries() -> list[WaitlistEntry]:
    return list(
        WaitlistEntry.objects.filter(status=WaitlistEntry.Status.WAITING).select_related(
            "plan__patient", "plan__drug", "appointment"
        )
    )


def open_freed_times(now: datetime.datetime | None = None):
    now = now or timezone.now()
    return FreedTime.objects.filter(status=FreedTime.Status.OPEN, starts_at__gt=now).select_related("chair")


def _local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


@dataclass(frozen=True)
class _DoseNeed:
    """What an entry's dose needs, worked out once per entry for all the freed times on a page."""

    dose: object  # the engine's NextDose (earliest, latest, ...)
    chair_minutes: int


def _dose_need(entry: WaitlistEntry) -> _DoseNeed | None:
    from scheduling.selectors.plan_state import plan_next_dose_to_book, plan_state
    from scheduling.services.booking import _appointment_dose

    if entry.appointment is not None:
        dose, times = _appointment_dose(plan_state(entry.plan), entry.appointment)
        return _DoseNeed(dose, times[0].total_minutes)
    dose = plan_next_dose_to_book(plan=entry.plan)
    return None if dose is None else _DoseNeed(dose, dose.chair_times[0].total_minutes)


def candidate_for(entry: WaitlistEntry, freed: FreedTime, needs: dict | None = None) -> Candidate | None:
    """Where the entry's dose would go in the freed time, if the engine allows it there at all.

    `needs` caches each entry's dose between calls; the quick checks (weekday, window opening, chair time length)
    spare the slot search for the pairs that cannot fit."""
    from scheduling.engine.slots import DEFAULT_STEP_MINUTES
    from scheduling.selectors.readiness import readiness_for_plans
    from scheduling.services.booking import BookingError, slots_find

    plan = entry.plan
    if plan.status != TreatmentPlan.Status.ACTIVE or (freed.source_id and entry.appointment_id == freed.source_id):
        return None
    day = _local_day(freed.starts_at)
    days = weekday_set(entry.weekdays)
    if days and day.weekday() not in days:
        return None
    appointment = entry.appointment
    if appointment is not None and (appointment.status != S.SCHEDULED or _local_day(appointment.premed_start) <= day):
        return None
    needs = {} if needs is None else needs
    if entry.pk not in needs:
        needs[entry.pk] = _dose_need(entry)
    need = needs[entry.pk]
    freed_minutes = (freed.ends_at - freed.starts_at).total_seconds() / 60
    if need is None or day < need.dose.earliest or need.chair_minutes > freed_minutes:
        return None
    # Every start of the day on that chair: the search ranks the whole day anyway, and a shorter list can rank the
    # freed time's own starts out (a fitting patient would then never be offered it).
    try:
        slots = slots_find(
            plan=plan,
            date_from=day,
            date_to=day,
            chair_id=freed.chair_id,
            appointment=appointment,
            limit=24 * 60 // DEFAULT_STEP_MINUTES,
        )
    except BookingError:
        return None
    inside = [s for s in slots if s.premed_start >= freed.starts_at and s.days[0].observation_end <= freed.ends_at]
    if not inside:
        return None
    slot = min(inside, key=lambda s: s.premed_start)
    if appointment is None and len(slot.days) > 1 and any(d.chair_id != freed.chair_id for d in slot.days):
        return None
    readiness = readiness_for_plans([(plan, need.dose, day)])[plan.pk]
    if readiness.blocking:
        return None
    latest = need.dose.latest
    gained = None if appointment is None else (_local_day(appointment.premed_start) - day).days
    fit = WaitlistFit(
        entry_id=entry.pk, in_window=slot.in_window, latest=latest, days_gained=gained, waiting_since=entry.created_at
    )
    reason = "not booked yet" if gained is None else f"{gained} day{'s' if gained != 1 else ''} earlier"
    return Candidate(entry=entry, slot=slot, fit=fit, reason=reason)


def candidates(freed: FreedTime, needs: dict | None = None, entries=None) -> list[Candidate]:
    """The waitlisted patients who fit the freed time, best first (`needs`, `entries`: shared by a page listing
    several freed times)."""
    if freed.status != FreedTime.Status.OPEN or freed.starts_at <= timezone.now():
        return []
    if entries is None:
        entries = waiting_entries()
    needs = {} if needs is None else needs
    found = {c.entry.pk: c for c in (candidate_for(entry, freed, needs) for entry in entries) if c is not None}
    return [found[fit.entry_id] for fit in rank(c.fit for c in found.values())]


# --- filling it -------------------------------------------------------------------------------------------------


@transaction.atomic
def freed_time_book(*, freed: FreedTime, entry: WaitlistEntry, user, offer: WaitlistOffer | None = None):
    """Book the entry's dose into the freed time (moving its booked visit there, or booking the next dose).

    The freed time's row is locked first: a second accept waits, then finds it filled and raises OfferTaken.
    """
    from scheduling.services.booking import BookingError, appointment_reschedule, dose_book

    freed = FreedTime.objects.select_for_update().get(pk=freed.pk)
    if freed.status != FreedTime.Status.OPEN:
        raise OfferTaken("Sorry, this time has just been taken by someone else.")
    entry = (
        WaitlistEntry.objects.select_for_update(of=("self",))
        .select_related("plan__patient", "appointment")
        .get(pk=entry.pk)
    )
    if entry.status != WaitlistEntry.Status.WAITING:
        raise ReplyError("This patient is no longer on the waitlist.")
    candidate = candidate_for(entry, freed)
    if candidate is None:
        raise ReplyError("The dose no longer fits this time (its window, the chair time or a readiness check).")
    try:
        if entry.appointment is not None:
            booked = appointment_reschedule(
                appointment=entry.appointment,
                chair_id=candidate.slot.chair_id,
                premed_start=candidate.slot.premed_start,
                user=user,
            )
        else:
            booked = dose_book(
                plan=entry.plan, chair_id=candidate.slot.chair_id, premed_start=candidate.slot.premed_start, user=user
            )[0]
    except BookingError as exc:
        raise ReplyError(exc.message) from exc
    now = timezone.now()
    freed.status = FreedTime.Status.FILLED
    freed.filled_by = booked
    freed._history_user = user
    freed.save()
    entry.status = WaitlistEntry.Status.BOOKED
    entry._history_user = user
    entry.save()
    for other in WaitlistOffer.objects.filter(freed=freed, status=WaitlistOffer.Status.PENDING):
        other.status = (
            WaitlistOffer.Status.ACCEPTED if offer is not None and other.pk == offer.pk else WaitlistOffer.Status.TAKEN
        )
        other.answered_at = now if other.status == WaitlistOffer.Status.ACCEPTED else other.answered_at
        other.save()
    return booked


def offer_accept(*, offer: WaitlistOffer):
    """The patient's click on 'Take this time'. Exactly one accept of one freed time books; a repeat of an
    accepted offer is told it is theirs, the others that it is taken."""
    with transaction.atomic():
        freed = FreedTime.objects.select_for_update().get(pk=offer.freed_id)
        offer = WaitlistOffer.objects.select_related("entry").get(pk=offer.pk)
        if offer.status == WaitlistOffer.Status.ACCEPTED:
            return freed.filled_by
        if offer.status != WaitlistOffer.Status.PENDING or freed.status != FreedTime.Status.OPEN:
            raise OfferTaken("Sorry, this time has just been taken by someone else.")
        if freed.starts_at <= timezone.now():
            raise OfferTaken("Sorry, this time has passed.")
        try:
            return freed_time_book(freed=freed, entry=offer.entry, user=None, offer=offer)
        except OfferTaken:
            raise
        except ReplyError:
            WaitlistOffer.objects.filter(pk=offer.pk).update(status=WaitlistOffer.Status.FAILED)
            raise


# --- emailed offers ----------------------------------------------------------------------------------------------


def offers_make(*, freed: FreedTime) -> list[WaitlistOffer]:
    """Offer the freed time to the top candidates who can get emails (once per candidate)."""
    from scheduling.reminders.services import patient_skip_reason

    made = []
    rank_number = 0
    for candidate in candidates(freed):
        patient = candidate.entry.plan.patient
        if patient_skip_reason(patient):
            continue
        rank_number += 1
        offer, created = WaitlistOffer.objects.get_or_create(
            freed=freed,
            entry=candidate.entry,
            defaults={
                "chair_id": candidate.slot.chair_id,
                "premed_start": candidate.slot.premed_start,
                "rank": rank_number,
            },
        )
        if created:
            made.append(offer)
        if rank_number >= settings.WAITLIST_OFFER_CANDIDATES:
            break
    return made


def offer_message(offer: WaitlistOffer) -> EmailMultiAlternatives:
    from scheduling.reminders.emails import date_label, time_label, unsubscribe_url

    patient = offer.entry.plan.patient
    arrive = offer.premed_start - datetime.timedelta(minutes=settings.REMINDERS_ARRIVAL_MARGIN_MINUTES)
    context = {
        "first_name": patient.first_name,
        "center_name": settings.CENTER_NAME,
        "center_address": settings.CENTER_ADDRESS,
        "center_phone": settings.CENTER_PHONE,
        "date": date_label(offer.premed_start),
        "arrival_time": time_label(arrive),
        "offer_url": links.offer_url(offer.uid),
        "offer_hours": settings.WAITLIST_OFFER_HOURS,
        "unsubscribe_url": unsubscribe_url(patient.pk),
    }
    message = EmailMultiAlternatives(
        subject=" ".join(render_to_string("emails/waitlist_offer_subject.txt", context).split()),
        body=render_to_string("emails/waitlist_offer_body.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[patient.email],
        headers={"Auto-Submitted": "auto-generated", "List-Unsubscribe": f"<{context['unsubscribe_url']}>"},
    )
    message.attach_alternative(render_to_string("emails/waitlist_offer_body.html", context), "text/html")
    return message


def offers_send(*, freed_id: int) -> int:
    """Make the offers for a freed time and email each one once (a claim on sent_at). Returns emails sent."""
    freed = FreedTime.objects.filter(pk=freed_id).first()
    if freed is None or freed.status != FreedTime.Status.OPEN:
        return 0
    with transaction.atomic():
        offers_make(freed=freed)
    sent = 0
    for offer in WaitlistOffer.objects.filter(freed=freed, status=WaitlistOffer.Status.PENDING, sent_at__isnull=True):
        if not WaitlistOffer.objects.filter(pk=offer.pk, sent_at__isnull=True).update(sent_at=timezone.now()):
            continue  # another worker has it
        try:
            offer_message(offer).send()
        except Exception:  # SMTP trouble: unclaim it for the next sweep
            logger.warning("Waitlist offer %s could not be sent.", offer.pk, exc_info=True)
            WaitlistOffer.objects.filter(pk=offer.pk).update(sent_at=None)
            continue
        sent += 1
    return sent


def offers_sweep() -> int:
    """Beat: offers for open freed times not sent yet (the broker was down, or a send failed)."""
    if not settings.WAITLIST_EMAIL_OFFERS:
        return 0
    return sum(offers_send(freed_id=pk) for pk in open_freed_times().values_list("pk", flat=True))
