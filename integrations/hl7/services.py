"""The SIU outbox: a message per appointment change, written in the change's transaction, delivered in order.

Delivery takes the channel lock, sends the oldest waiting message, records the ACK, and goes on to the next. A
connection failure leaves the message waiting (and every later one behind it, to keep the order) with a backoff;
an AE or AR answer is final for that message and shown to staff, who may send it again.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integrations.hl7.messages import ack_read, siu_message
from integrations.hl7.mllp import exchange
from integrations.models import SiuChannel, SiuMessage

M = SiuMessage.Status
logger = logging.getLogger(__name__)


def siu_enabled() -> bool:
    return bool(getattr(settings, "HL7_SIU_ENABLED", False))


def siu_enqueue(*, appointment, event: str) -> SiuMessage:
    """Write the message in the caller's transaction; the worker is woken once it commits."""
    control_id = uuid.uuid4().hex[:20]
    try:
        payload, error = siu_message(appointment, event=event, control_id=control_id), ""
    except Exception as exc:  # noqa: BLE001 - the EHR's copy must never stop the booking itself
        logger.exception("SIU^%s for appointment %s could not be built", event, appointment.pk)
        payload, error = "", f"The message could not be built: {exc}"[:1000]
    message = SiuMessage.objects.create(
        appointment=appointment,
        appointment_uid=appointment.uid,
        event=event,
        control_id=control_id,
        payload=payload,
        status=M.REJECTED if error else M.PENDING,
        last_error=error,
    )
    if not error:
        transaction.on_commit(_wake_worker)
    return message


def _wake_worker() -> None:
    from integrations.tasks import siu_deliver

    # the broker being down loses nothing: the beat sweep sends the message later
    with contextlib.suppress(Exception):
        siu_deliver.delay()


def _backoff(attempts: int) -> int:
    return min(settings.HL7_SIU_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), settings.HL7_SIU_RETRY_MAX_SECONDS)


def siu_deliver_pending(*, now: datetime.datetime | None = None, limit: int = 500) -> tuple[int, int | None]:
    """Send waiting messages in order until none is left or the EHR cannot be reached.
    Returns (messages answered, seconds until the next retry when one is waiting, else None)."""
    answered = 0
    for _ in range(limit):
        with transaction.atomic():
            SiuChannel.objects.get_or_create(name="ehr")
            SiuChannel.objects.select_for_update().get(name="ehr")
            message = SiuMessage.objects.filter(status=M.PENDING).order_by("id").first()
            if message is None:
                return answered, None
            moment = now or timezone.now()
            if message.next_attempt_at and message.next_attempt_at > moment:
                return answered, int((message.next_attempt_at - moment).total_seconds()) + 1
            message.attempts += 1
            try:
                answer = exchange(
                    settings.HL7_SIU_HOST,
                    settings.HL7_SIU_PORT,
                    message.payload,
                    timeout=settings.HL7_SIU_TIMEOUT_SECONDS,
                )
                ack = ack_read(answer)
            except (OSError, ValueError) as exc:
                delay = _backoff(message.attempts)
                message.last_error = f"{type(exc).__name__}: {exc}"[:1000] or "No answer."
                message.next_attempt_at = moment + datetime.timedelta(seconds=delay)
                message.save(update_fields=["attempts", "last_error", "next_attempt_at"])
                return answered, delay
            message.ack_code = ack.code
            message.ack_text = answer
            message.sent_at = moment
            message.next_attempt_at = None
            if ack.accepted:
                message.status = M.SENT
                message.last_error = ""
            else:
                message.status = M.REJECTED
                message.last_error = f"The EHR answered {ack.code}" + (f": {ack.text}" if ack.text else ".")
            message.save()
            answered += 1
    return answered, 0


class SiuError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@transaction.atomic
def siu_resend(*, message: SiuMessage) -> SiuMessage:
    """Queue a refused message again (after the problem was fixed at the EHR); it goes behind those waiting."""
    message = SiuMessage.objects.select_for_update().get(pk=message.pk)
    if message.status != M.REJECTED:
        raise SiuError("Only a message the EHR refused can be sent again.")
    if not message.payload:
        raise SiuError("This message could not be built, so there is nothing to send again.")
    copy = SiuMessage.objects.create(
        appointment_id=message.appointment_id,
        appointment_uid=message.appointment_uid,
        event=message.event,
        control_id=uuid.uuid4().hex[:20],
        payload="",
    )
    copy.payload = message.payload.replace(f"|{message.control_id}|", f"|{copy.control_id}|", 1)
    copy.save(update_fields=["payload"])
    transaction.on_commit(_wake_worker)
    return copy


def siu_waiting_count() -> int:
    return SiuMessage.objects.filter(Q(status=M.PENDING)).count()
