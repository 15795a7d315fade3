"""Insurance authorisations: which authorisation covers each dose of a plan, and what is wrong when none does.

A dose is covered by an authorisation of its plan whose dates include the dose's day and that still has units
left once the plan's earlier doses (in time order) have taken theirs. Units are counted either in doses (each day
of a course is one infusion) or in mg. Doses take units from the covering authorisation that ends first, so a
renewal is only used once the older authorisation runs out.

The answer is a sentence per dose; whether it only warns or blocks is the center's choice (the caller's `blocks`).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from scheduling.engine.dosing import fmt_date
from scheduling.engine.readiness import ReadinessIssue

UNIT_DOSES = "doses"
UNIT_MG = "mg"
ISSUE_KIND = "authorisation"


@dataclass(frozen=True)
class AuthorisationSpec:
    id: int
    number: str
    payer: str
    valid_from: datetime.date
    valid_to: datetime.date
    units: Decimal  # doses or mg authorised
    unit: str = UNIT_DOSES

    def covers(self, day: datetime.date) -> bool:
        return self.valid_from <= day <= self.valid_to

    @property
    def label(self) -> str:
        return f"{self.payer} authorisation {self.number}"


@dataclass(frozen=True)
class DoseSpec:
    key: object  # the appointment's id, or any marker for a dose not booked yet
    day: datetime.date
    moment: datetime.datetime  # orders the doses: earlier doses take units first
    dose_mg: Decimal


@dataclass(frozen=True)
class Coverage:
    authorisation_id: int | None
    problem: str = ""  # empty when covered


def _need(authorisation: AuthorisationSpec, dose: DoseSpec) -> Decimal:
    return Decimal(1) if authorisation.unit == UNIT_DOSES else dose.dose_mg


def _units(value: Decimal, unit: str) -> str:
    amount = f"{value.normalize():f}"
    if unit == UNIT_MG:
        return f"{amount} mg"
    return f"{amount} dose{'s' if value != 1 else ''}"


def allocate(
    drug_name: str,
    *,
    needs_authorisation: bool,
    authorisations: Sequence[AuthorisationSpec],
    doses: Sequence[DoseSpec],
) -> dict[object, Coverage]:
    """The coverage of every dose of one plan (all its active doses, so that earlier ones take units first)."""
    remaining = {a.id: a.units for a in authorisations}
    ordered = sorted(authorisations, key=lambda a: (a.valid_to, a.valid_from, a.id))
    result: dict[object, Coverage] = {}
    for dose in sorted(doses, key=lambda d: (d.moment, str(d.key))):
        covering = [a for a in ordered if a.covers(dose.day)]
        chosen = next((a for a in covering if remaining[a.id] >= _need(a, dose)), None)
        if chosen is not None:
            remaining[chosen.id] -= _need(chosen, dose)
            result[dose.key] = Coverage(chosen.id)
        elif covering:
            first = covering[0]
            result[dose.key] = Coverage(
                None,
                f"{first.label} is used up: {_units(first.units, first.unit)} authorised and the earlier doses "
                f"take them all; this dose on {fmt_date(dose.day)} is beyond the units authorised.",
            )
        elif authorisations:
            spans = "; ".join(f"{a.number} {fmt_date(a.valid_from)} – {fmt_date(a.valid_to)}" for a in ordered)
            result[dose.key] = Coverage(
                None, f"No insurance authorisation covers {fmt_date(dose.day)} (on record: {spans})."
            )
        elif needs_authorisation:
            result[dose.key] = Coverage(
                None, f"{drug_name} needs a prior authorisation and none is recorded for this plan."
            )
        else:
            result[dose.key] = Coverage(None)
    return result


def coverage_issue(coverage: Coverage | None, *, blocks: bool) -> ReadinessIssue | None:
    """The readiness issue for a dose's coverage: amber, or red when the center makes authorisations block."""
    if coverage is None or not coverage.problem:
        return None
    return ReadinessIssue(ISSUE_KIND, coverage.problem, blocking=blocks)
