"""Appointment changes become SIU messages in the change's own transaction (every writer saves the row).

The row as it was is read before the save (only when SIU is switched on), and the message is chosen from what
changed: new -> S12, cancelled -> S15, no-show -> S26, moved (day, time or chair) -> S13, other changes to what
the EHR sees (dose, phase, chair time) -> S14. Visit steps and attention flags send nothing.
"""

from __future__ import annotations

from django.db.models.signals import post_save, pre_save

from integrations.hl7.services import siu_enabled, siu_enqueue

MOVED_FIELDS = ("chair_id", "premed_start")
MODIFIED_FIELDS = ("infusion_start", "infusion_end", "observation_end", "dose_mg", "phase_id")
WATCHED = ("status", *MOVED_FIELDS, *MODIFIED_FIELDS)


def appointment_before_save(sender, instance, **kwargs) -> None:
    if not siu_enabled() or instance.pk is None:
        return
    instance._siu_old = sender.objects.filter(pk=instance.pk).values(*WATCHED).first()


def siu_event(old: dict | None, new, created: bool) -> str | None:
    from scheduling.models import Appointment

    S = Appointment.Status
    if created:
        return "S12" if new.status == S.SCHEDULED else None
    if old is None:
        return None
    if old["status"] != new.status:
        if new.status == S.CANCELLED:
            return "S15"
        if new.status == S.NO_SHOW:
            return "S26"
        return None
    if new.status not in (S.SCHEDULED, S.CHECKED_IN):
        return None
    if any(old[name] != getattr(new, name) for name in MOVED_FIELDS):
        return "S13"
    if any(old[name] != getattr(new, name) for name in MODIFIED_FIELDS):
        return "S14"
    return None


def appointment_after_save(sender, instance, created: bool, **kwargs) -> None:
    if not siu_enabled():
        return
    event = siu_event(getattr(instance, "_siu_old", None), instance, created)
    instance._siu_old = None
    if event is not None:
        siu_enqueue(appointment=instance, event=event)


def connect() -> None:
    from scheduling.models import Appointment

    pre_save.connect(appointment_before_save, sender=Appointment, dispatch_uid="siu.before")
    post_save.connect(appointment_after_save, sender=Appointment, dispatch_uid="siu.after")
