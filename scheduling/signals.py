"""Events written by many paths (visit steps, admin, manager pages) re-derive the bookings they affect.

Each receiver runs inside the write's transaction (admin and the services save atomically), so a booking is never
left stale after a commit. The booking services call `derive_patients` themselves.
"""

from __future__ import annotations

import datetime

from django.db.models.signals import post_delete, post_save, pre_save

from patients.models import Patient, Screening
from scheduling import models

# A visit step that changes what has been given (or frees the dose): the patient's later bookings follow.
DOSE_STATUSES = {*models.Appointment.GIVEN_STATUSES, models.Appointment.Status.NO_SHOW}


def _derive_patient(patient_id: int, days=()) -> None:
    from scheduling.services.derive import derive_patients

    derive_patients([patient_id], days=days)


def _derive_drug(drug_id: int | None) -> None:
    from scheduling.services.derive import derive_future

    if drug_id is not None:
        derive_future(drug_ids=[drug_id])


def _refresh_next_doses(patient_id: int) -> None:
    from scheduling.services.next_dose import next_doses_refresh

    next_doses_refresh(patient_ids=[patient_id])


# Fields of a booking that decide whether its plan is booked (for the worklist).
BOOKING_FIELDS = {"status", "plan", "observation_end"}


def _refresh_booking(plan_id: int) -> None:
    from scheduling.services.next_dose import next_dose_booking_refresh

    next_dose_booking_refresh(plan_id=plan_id)


def appointment_saved(sender, instance: models.Appointment, created: bool, update_fields=None, **kwargs) -> None:
    if created:
        # The booking services re-derive themselves; a row written another way (admin, an import) still counts.
        if instance.status in DOSE_STATUSES:
            _refresh_next_doses(instance.patient_id)
        else:
            _refresh_booking(instance.plan_id)
        return
    if update_fields is None or "status" not in update_fields:
        if update_fields is None or BOOKING_FIELDS & set(update_fields):
            _refresh_booking(instance.plan_id)
        return
    if instance.status in DOSE_STATUSES:
        _derive_patient(instance.patient_id, days=[instance.local_date])
    else:
        _refresh_next_doses(instance.patient_id)  # e.g. a visit step undone: the dose is no longer given


def _deleted_itself(sender, kwargs) -> bool:
    """Deleted on its own, not as part of deleting its patient or plan (whose rows are going too)."""
    origin = kwargs.get("origin")
    return isinstance(origin, sender) or getattr(origin, "model", None) is sender


def appointment_deleted(sender, instance: models.Appointment, **kwargs) -> None:
    if _deleted_itself(sender, kwargs):
        _derive_patient(instance.patient_id, days=[instance.local_date])


def reaction_deleted(sender, instance: models.InfusionReaction, **kwargs) -> None:
    if _deleted_itself(sender, kwargs):
        _derive_patient(instance.patient_id)


def readiness_input_changed(sender, instance, **kwargs) -> None:
    """A screening or the patient's measurements: the readiness (and a dose by body surface area) may change."""
    if kwargs.get("signal") is post_delete and not _deleted_itself(sender, kwargs):
        return
    _refresh_next_doses(instance.pk if isinstance(instance, Patient) else instance.patient_id)


def reaction_saved(sender, instance: models.InfusionReaction, **kwargs) -> None:
    _derive_patient(instance.patient_id)


def plan_changed(sender, instance: models.TreatmentPlan, **kwargs) -> None:
    _derive_patient(instance.patient_id)


def outside_dose_changed(sender, instance: models.OutsideDose, **kwargs) -> None:
    _derive_patient(instance.patient_id)


def drug_changed(sender, instance: models.Drug, **kwargs) -> None:
    _derive_drug(instance.pk)


def phase_changed(sender, instance: models.RegimenPhase, **kwargs) -> None:
    _derive_drug(instance.drug_id)


def premedication_changed(sender, instance: models.Premedication, **kwargs) -> None:
    phase = models.RegimenPhase.objects.filter(pk=instance.phase_id).values_list("drug_id", flat=True).first()
    _derive_drug(phase)


def _days(first: datetime.date, last: datetime.date) -> set[datetime.date]:
    return {first + datetime.timedelta(days=n) for n in range((last - first).days + 1)}


def _scope(instance) -> dict:
    """What bookings a center resource, as it is in `instance`, can affect."""
    if isinstance(instance, models.Closure):
        return {"days": _days(instance.starts_on, instance.ends_on)}
    if isinstance(instance, models.NurseStaffing):
        return {"days": {instance.date}}
    if isinstance(instance, models.OpeningHours):
        return {"weekdays": {instance.weekday}}
    return {"chair_ids": {instance.pk}}


def center_before_save(sender, instance, **kwargs) -> None:
    """Remember what the row covered before the change: bookings it flagged there may fit again."""
    old = sender.objects.filter(pk=instance.pk).first() if instance.pk else None
    instance._derive_old_scope = _scope(old) if old is not None else {}


def center_changed(sender, instance, created: bool = False, **kwargs) -> None:
    from scheduling.services.derive import derive_center_scope

    if created and isinstance(instance, models.Chair):
        return  # a new chair cannot make a booking stop fitting
    scope = _scope(instance)
    for name, values in getattr(instance, "_derive_old_scope", {}).items():
        scope[name] = scope.get(name, set()) | values
    derive_center_scope(**scope)


def catalogue_changed(sender, **kwargs) -> None:
    from scheduling.catalogue import CATALOGUE
    from scheduling.memo import forget
    from scheduling.selectors.history import INGREDIENTS

    forget(CATALOGUE)
    forget(INGREDIENTS)


def center_rules_changed(sender, **kwargs) -> None:
    from scheduling.memo import forget
    from scheduling.selectors.center import CENTER_RULES

    forget(CENTER_RULES)


def connect() -> None:
    # first: the receivers below read the catalogue and the center's rules, which must be read afresh
    from scheduling.catalogue import CATALOGUE_MODELS

    for signal in (post_save, post_delete):
        name = signal is post_save and "save" or "delete"
        for model in CATALOGUE_MODELS:
            signal.connect(catalogue_changed, sender=model, dispatch_uid=f"memo.{model.__name__}.{name}")
        for model in (models.Chair, models.Closure, models.NurseStaffing, models.OpeningHours):
            signal.connect(center_rules_changed, sender=model, dispatch_uid=f"memo.{model.__name__}.{name}")
    post_save.connect(appointment_saved, sender=models.Appointment, dispatch_uid="derive.appointment")
    post_save.connect(reaction_saved, sender=models.InfusionReaction, dispatch_uid="derive.reaction")
    post_delete.connect(reaction_deleted, sender=models.InfusionReaction, dispatch_uid="derive.reaction.delete")
    post_delete.connect(appointment_deleted, sender=models.Appointment, dispatch_uid="derive.appointment.delete")
    post_save.connect(readiness_input_changed, sender=Patient, dispatch_uid="nextdose.patient")
    for signal in (post_save, post_delete):
        name = signal is post_save and "save" or "delete"
        signal.connect(readiness_input_changed, sender=Screening, dispatch_uid=f"nextdose.screening.{name}")
        signal.connect(plan_changed, sender=models.TreatmentPlan, dispatch_uid=f"derive.plan.{name}")
        signal.connect(outside_dose_changed, sender=models.OutsideDose, dispatch_uid=f"derive.outside.{name}")
        signal.connect(drug_changed, sender=models.Drug, dispatch_uid=f"derive.drug.{name}")
        signal.connect(phase_changed, sender=models.RegimenPhase, dispatch_uid=f"derive.phase.{name}")
        signal.connect(premedication_changed, sender=models.Premedication, dispatch_uid=f"derive.premed.{name}")
        for model in (models.Chair, models.Closure, models.NurseStaffing, models.OpeningHours):
            signal.connect(center_changed, sender=model, dispatch_uid=f"derive.{model.__name__}.{name}")
    for model in (models.Chair, models.Closure, models.NurseStaffing, models.OpeningHours):
        pre_save.connect(center_before_save, sender=model, dispatch_uid=f"derive.{model.__name__}.before")


__all__ = ["connect"]
