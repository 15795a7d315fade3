"""The worklist: active plans whose next dose is due (or overdue) with no booking, most urgent first.

One indexed query over the stored next doses (`PlanNextDose`, kept true by `services.next_dose`), one page at a
time: no dose is derived while the page is drawn.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from scheduling.engine.readiness import Readiness, ReadinessIssue
from scheduling.models import PlanNextDose

PAGE_SIZE = 50
DEFAULT_DUE_WITHIN = 30


@dataclass(frozen=True)
class WorklistFilters:
    drug_id: int | None = None
    due_within: int = DEFAULT_DUE_WITHIN
    overdue_only: bool = False
    readiness: str = ""

    @classmethod
    def from_cleaned(cls, data: dict) -> WorklistFilters:
        """The filters from a valid WorklistFilterForm's cleaned data."""
        return cls(
            drug_id=data["drug"].pk if data.get("drug") else None,
            due_within=data.get("due_within") or DEFAULT_DUE_WITHIN,
            overdue_only=bool(data.get("overdue")),
            readiness=data.get("readiness") or "",
        )


def worklist_rows(*, filters: WorklistFilters, today: datetime.date, now: datetime.datetime) -> QuerySet:
    """The stored next doses to book, most urgent first: overdue (latest date gone by) before due, by window."""
    rows = PlanNextDose.objects.filter(
        Q(booked_until__isnull=True) | Q(booked_until__lt=now),
        target__lte=today + datetime.timedelta(days=filters.due_within),
    )
    if filters.drug_id is not None:
        rows = rows.filter(drug_id=filters.drug_id)
    if filters.overdue_only:
        rows = rows.filter(latest__lt=today)
    if filters.readiness:
        rows = rows.filter(readiness_status=filters.readiness)
    return rows.select_related("patient", "drug", "phase").order_by("latest", "target", "plan_id")


def readiness_from_row(row: PlanNextDose) -> Readiness:
    """The stored readiness as the engine's object, for the shared readiness template."""
    return Readiness(tuple(ReadinessIssue(**issue) for issue in row.readiness))


@dataclass
class WorklistRow:
    stored: PlanNextDose
    overdue: bool
    days: int
    late_days: int

    @property
    def readiness(self):
        return readiness_from_row(self.stored)


def page_rows(rows: list[PlanNextDose], *, today: datetime.date) -> list[WorklistRow]:
    return [
        WorklistRow(
            stored=row,
            overdue=today > row.latest,
            days=(row.target - today).days,
            late_days=(today - row.latest).days,
        )
        for row in rows
    ]
