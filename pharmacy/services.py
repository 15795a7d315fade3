"""Writes of the pharmacy queue: release to mix, start, ready, waste; and the gate at the infusion start.

Each step locks the appointment row (the same lock the visit workflow takes), so a release cannot race a
cancellation or a start, and checks the step against the preparation's current status.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from infusion_center.refusals import RefusalError
from pharmacy.models import Preparation
from pharmacy.rules import release_refusal
from scheduling.catalogue import drug_specs
from scheduling.engine.protocol import dose_mg
from scheduling.models import Appointment, ReadinessOverride

P = Preparation.Status


class PharmacyError(RefusalError):
    """A pharmacy step refused, with a message the pharmacist understands."""


def latest_preparation(appointment_id: int) -> Preparation | None:
    return Preparation.objects.filter(appointment_id=appointment_id).order_by("-id").first()


def current_dose_mg(appointment: Appointment) -> Decimal | None:
    """The dose to prepare, from the catalogue's phase and today's body surface area (the engine's conversion)."""
    spec = drug_specs([appointment.phase.drug_id])[appointment.phase.drug_id]
    phase = next(p for p in spec.phases if p.id == appointment.phase_id)
    return dose_mg(phase, appointment.patient.body_surface_area)


def _locked(appointment_id: int) -> Appointment:
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("patient", "phase", "phase__drug")
        .get(pk=appointment_id)
    )


def _save(preparation: Preparation, user) -> Preparation:
    preparation._history_user = user
    preparation.save()
    return preparation


def _wrong(preparation: Preparation | None, action: str) -> PharmacyError:
    status = preparation.get_status_display().lower() if preparation else "to prepare"
    return PharmacyError(f"The dose is {status}: {action} is not possible now.")


@transaction.atomic
def preparation_release(*, appointment: Appointment, user) -> Preparation:
    """Release the dose to mix, if the drug's rule allows it now (see pharmacy.rules.release_refusal)."""
    from scheduling.selectors.readiness import readiness_for_loaded_appointments

    locked = _locked(appointment.pk)
    drug = locked.phase.drug
    if not drug.pharmacy_prepared:
        raise PharmacyError(f"{drug.name} does not go through the pharmacy queue.")
    current = latest_preparation(locked.pk)
    if current is not None and current.status != P.WASTED:
        raise _wrong(current, "releasing it")
    dose = current_dose_mg(locked)
    readiness = readiness_for_loaded_appointments([locked]).get(locked.pk)
    refusal = release_refusal(
        drug_name=drug.name,
        mix_after_check_in=drug.mix_after_check_in,
        appointment_status=locked.status,
        visit_day=locked.local_date,
        today=timezone.localdate(),
        blocking_problems=unresolved_blocks(locked, readiness),
        dose_known=dose is not None,
    )
    if refusal:
        raise PharmacyError(refusal)
    return _save(
        Preparation(appointment=locked, status=P.RELEASED, dose_mg=dose, released_at=timezone.now(), released_by=user),
        user,
    )


MIX_OVERRIDE_PREFIX = "Mix despite the checks: "


def unresolved_blocks(appointment: Appointment, readiness) -> tuple[str, ...]:
    """The day's blocking problems, unless a nurse allowed today's mix despite them (see mix_override_record)."""
    problems = readiness.blocks_start if readiness is not None else ()
    if problems and _mix_override_today(appointment.pk):
        return ()
    return problems


def _mix_override_today(appointment_id: int) -> bool:
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return ReadinessOverride.objects.filter(
        appointment_id=appointment_id, reason__startswith=MIX_OVERRIDE_PREFIX, overridden_at__gte=start
    ).exists()


@transaction.atomic
def mix_override_record(*, appointment: Appointment, reason: str, user) -> ReadinessOverride:
    """A nurse allowed to override readiness lets the pharmacy mix a checked-in patient's dose despite the day's
    blocking problems (recorded with them and the reason). The start still asks for its own override."""
    from scheduling.selectors.readiness import readiness_for_loaded_appointments

    reason = (reason or "").strip()
    if not reason:
        raise PharmacyError("Give the reason the dose may be mixed despite the checks.")
    if not user.has_perm("scheduling.override_readiness"):
        raise PharmacyError("Only a nurse allowed to override readiness checks can do this.")
    locked = _locked(appointment.pk)
    if locked.status not in ("checked_in", "premedicated"):
        raise PharmacyError("The patient must be checked in first.")
    readiness = readiness_for_loaded_appointments([locked]).get(locked.pk)
    problems = readiness.blocks_start if readiness is not None else ()
    if not problems:
        raise PharmacyError("Nothing blocks this dose: the pharmacy can release it as it is.")
    override = ReadinessOverride(
        appointment=locked, problems="\n".join(problems), reason=MIX_OVERRIDE_PREFIX + reason, overridden_by=user
    )
    override._history_user = user
    override.save()
    return override


_STEPS = {
    # step: (from status, to status, time field, words)
    "start": (P.RELEASED, P.IN_PREPARATION, "started_at", "starting the preparation"),
    "ready": (P.IN_PREPARATION, P.READY, "ready_at", "marking it ready"),
}


@transaction.atomic
def preparation_step(*, appointment: Appointment, step: str, user) -> Preparation:
    """Move the dose on: released -> in preparation -> ready."""
    source, target, field, words = _STEPS[step]
    locked = _locked(appointment.pk)
    current = latest_preparation(locked.pk)
    if current is None or current.status != source:
        raise _wrong(current, words)
    current.status = target
    setattr(current, field, timezone.now())
    return _save(current, user)


@transaction.atomic
def preparation_waste(*, appointment: Appointment, reason: str, user) -> Preparation:
    """Record a made (or started) dose as wasted, with the reason; a new one can then be released."""
    reason = (reason or "").strip()
    if not reason:
        raise PharmacyError("Give the reason the dose is wasted.")
    locked = _locked(appointment.pk)
    current = latest_preparation(locked.pk)
    if current is None or current.status not in Preparation.OPEN_STATUSES:
        raise _wrong(current, "recording waste")
    current.status = P.WASTED
    current.wasted_at = timezone.now()
    current.waste_reason = reason[:200]
    return _save(current, user)


def drug_ready_for_start(appointment: Appointment, user) -> None:
    """The infusion-start gate: a drug that goes through the pharmacy starts only from a ready dose, which is
    then given. Called inside the start's transaction, with the appointment locked."""
    from scheduling.services.visits import VisitError

    drug = appointment.phase.drug
    if not drug.pharmacy_prepared:
        return
    current = Preparation.objects.select_for_update().filter(appointment_id=appointment.pk).order_by("-id").first()
    if current is None or current.status != P.READY:
        status = current.get_status_display().lower() if current else "still to prepare"
        raise VisitError(f"The {drug.name} dose is not ready in the pharmacy ({status}): the infusion cannot start.")
    current.status = P.GIVEN
    current.given_at = timezone.now()
    _save(current, user)
