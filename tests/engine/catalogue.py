"""The seeded drug catalogue as engine specs, built from the seed migration's own data (no database)."""

from __future__ import annotations

import importlib
import itertools
from decimal import Decimal

from scheduling.engine.protocol import DrugSpec, PhaseSpec, PremedSpec, RequirementSpec

SEED = importlib.import_module("scheduling.migrations.0003_seed_drug_catalogue")
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
                kind=r["kind"],
                when=r["when"],
                blocking=r.get("blocking", True),
                max_age_days=r.get("max_age_days"),
                reproductive_potential_only=r.get("reproductive_potential_only", False),
                min_value=Decimal(r["min_value"]) if "min_value" in r else None,
            )
            for r in entry["requirements"]
        ),
    )
