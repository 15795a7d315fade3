"""The seeded drug catalogue as engine specs, built from the seed migration's own data (no database)."""

from __future__ import annotations

import importlib
import itertools
from decimal import Decimal

from scheduling.engine.protocol import AnswerSpec, CheckSpec, DrugSpec, PhaseSpec, PremedSpec, RequirementSpec

SEED = importlib.import_module("scheduling.migrations.0003_seed_drug_catalogue")
CHECKS = importlib.import_module("patients.migrations.0020_check_catalogue")
REQUIREMENTS = importlib.import_module("scheduling.migrations.0020_check_requirements").REQUIREMENTS
_ids = itertools.count(1)


def _phase(order: int, data: dict, drug_gap: int | None) -> PhaseSpec:
    premeds = tuple(
        PremedSpec(
            name=p["drug_name"],
            minutes_before=p["minutes_before"],
            required=p["required"],
            only_on_course_days=p.get("only_on_course_days"),
        )
        for p in data["premeds"]
    )
    return PhaseSpec(
        id=next(_ids),
        order=order,
        name=data["name"],
        dose_amount=Decimal(data["dose_amount"]),
        dose_unit=data.get("dose_unit", "mg"),
        infusion_minutes=data["infusion_minutes"],
        short_infusion_minutes=data.get("short_infusion_minutes"),
        short_infusion_rule=data.get("short_infusion_rule", ""),
        observation_minutes=data["observation_minutes"],
        reduced_observation_minutes=data.get("reduced_observation_minutes"),
        reduced_observation_from_infusion=data.get("reduced_observation_from_infusion"),
        interval_days=data.get("interval_days"),
        interval_anchor=data.get("interval_anchor", "previous"),
        window_early_days=data.get("window_early_days", 0),
        window_late_days=data.get("window_late_days", 7),
        min_gap_days=data.get("min_gap_days", drug_gap),
        repeats=data.get("repeats", False),
        consecutive_days=data.get("consecutive_days", 1),
        consecutive_days_max=data.get("consecutive_days_max"),
        premeds=premeds,
    )


def check(code: str) -> CheckSpec:
    entry = next(e for e in [*CHECKS.KINDS, *CHECKS.LEGACY_KINDS] if e["code"] == code)
    return CheckSpec(
        code=code,
        name=entry["name"],
        numeric=entry.get("result_type") == "numeric",
        answers=tuple(AnswerSpec(*answer) for answer in entry.get("answers") or ()),
        unit=entry.get("unit", ""),
        threshold=Decimal(entry["threshold"]) if "threshold" in entry else None,
        threshold_hard_stop=entry.get("threshold_hard_stop", False),
        threshold_advice=entry.get("threshold_advice", ""),
    )


def drug(name: str) -> DrugSpec:
    entry = next(e for e in SEED.CATALOGUE if e["name"] == name)
    gap = entry.get("min_gap_days")
    return DrugSpec(
        id=next(_ids),
        name=entry["name"],
        min_gap_days=gap,
        cumulative_limit_mg_m2=Decimal(entry["cumulative_limit_mg_m2"]) if "cumulative_limit_mg_m2" in entry else None,
        is_anti_cd20=entry.get("is_anti_cd20", False),
        phases=tuple(_phase(i, p, gap) for i, p in enumerate(entry["phases"], start=1)),
        requirements=tuple(
            RequirementSpec(
                kind=code,
                when=when,
                blocking=blocking,
                max_age_days=extra.get("max_age_days"),
                reproductive_potential_only=extra.get("reproductive_potential_only", False),
                gates_booking=extra.get("gates_booking", False),
                check=check(code),
            )
            for code, when, blocking, extra, _notes in REQUIREMENTS[entry["name"]]
        ),
    )
