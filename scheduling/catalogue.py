"""Turns the drug catalogue's rows into the engine's plain protocol specs."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch

from patients.models import CheckAnswer, CheckKind
from scheduling.engine.protocol import AnswerSpec, CheckSpec, DrugSpec, PhaseSpec, PremedSpec, RequirementSpec
from scheduling.memo import memoised
from scheduling.models import Drug, Premedication, RegimenPhase, ScreeningRequirement


def drugs_with_protocol():
    """Drugs with everything a spec needs, in a fixed number of queries."""
    return Drug.objects.prefetch_related(
        Prefetch(
            "phases",
            queryset=RegimenPhase.objects.order_by("order").prefetch_related(
                Prefetch("premedications", queryset=Premedication.objects.order_by("-required", "-minutes_before"))
            ),
        ),
        Prefetch(
            "screening_requirements",
            queryset=ScreeningRequirement.objects.select_related("kind").prefetch_related("kind__answers"),
        ),
    )


def phase_spec(phase: RegimenPhase, drug: Drug) -> PhaseSpec:
    return PhaseSpec(
        id=phase.pk,
        order=phase.order,
        name=phase.name,
        dose_amount=phase.dose_amount,
        dose_unit=phase.dose_unit,
        infusion_minutes=phase.infusion_minutes,
        short_infusion_minutes=phase.short_infusion_minutes,
        short_infusion_rule=phase.short_infusion_rule,
        observation_minutes=phase.observation_minutes,
        reduced_observation_minutes=phase.reduced_observation_minutes,
        reduced_observation_from_infusion=phase.reduced_observation_from_infusion,
        interval_days=phase.interval_days,
        interval_anchor=phase.interval_anchor,
        window_early_days=phase.window_early_days,
        window_late_days=phase.window_late_days,
        min_gap_days=phase.min_gap_days if phase.min_gap_days is not None else drug.min_gap_days,
        repeats=phase.repeats,
        consecutive_days=phase.consecutive_days,
        consecutive_days_max=phase.consecutive_days_max,
        premeds=tuple(
            PremedSpec(
                id=p.pk,
                name=p.drug_name,
                dose=p.dose,
                route=p.route,
                minutes_before=p.minutes_before,
                required=p.required,
                only_on_course_days=p.only_on_course_days,
            )
            for p in phase.premedications.all()
        ),
    )


def check_spec(kind: CheckKind) -> CheckSpec:
    """Expects the check's answers prefetched (otherwise it queries them)."""
    return CheckSpec(
        code=kind.code,
        name=kind.name,
        numeric=kind.is_numeric,
        answers=tuple(AnswerSpec(a.code, a.label, a.outcome, a.advice) for a in kind.answers.all()),
        unit=kind.unit,
        threshold=kind.threshold,
        comparison=kind.threshold_comparison,
        threshold_hard_stop=kind.threshold_hard_stop,
        threshold_advice=kind.threshold_advice,
    )


def drug_spec(drug: Drug) -> DrugSpec:
    """Expects a drug from `drugs_with_protocol()` (otherwise it queries per phase)."""
    return DrugSpec(
        id=drug.pk,
        name=drug.name,
        ingredient=(drug.ingredient or "").strip().lower() or f"drug-{drug.pk}",
        min_gap_days=drug.min_gap_days,
        cumulative_limit_mg_m2=drug.cumulative_limit_mg_m2,
        reaction_window_hours=drug.reaction_window_hours,
        stroke_warning_days=drug.stroke_warning_days,
        is_anti_cd20=drug.is_anti_cd20,
        phases=tuple(phase_spec(phase, drug) for phase in drug.phases.all()),
        requirements=tuple(
            RequirementSpec(
                kind=r.kind_id,
                check=check_spec(r.kind),
                gates_booking=r.gates_booking,
                when=r.when,
                blocking=r.blocking,
                max_age_days=r.max_age_days,
                reproductive_potential_only=r.reproductive_potential_only,
                min_value=r.min_value,
                notes=r.notes,
            )
            for r in drug.screening_requirements.all()
        ),
    )


CATALOGUE = "drug-catalogue"  # the memo of every drug's spec (dropped by any save or delete in the catalogue)
# The tables the specs are read from: a save or delete in any of them changes what the engine is told.
CATALOGUE_MODELS = (Drug, RegimenPhase, Premedication, ScreeningRequirement, CheckKind, CheckAnswer)


def drug_specs(drug_ids: Iterable[int] | None = None) -> dict[int, DrugSpec]:
    """The specs of these drugs (every drug by default), from the process's copy of the catalogue while it is
    current: slot search reads them at every search, pharmacists edit them rarely."""
    specs = memoised(CATALOGUE, lambda: {drug.pk: drug_spec(drug) for drug in drugs_with_protocol()})
    if drug_ids is None:
        return dict(specs)
    return {pk: specs[pk] for pk in drug_ids if pk in specs}
