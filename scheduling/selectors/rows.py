"""Bookings as the plan reads use them: one typed row per appointment, read by one field list.

The plan state, the dose history, the worklist's next doses, the readiness checks and the forecast all read the
same columns of a patient's active appointments; `booking_rows` reads them as `BookingRow`s (values, not model
instances: a large center's history is hundreds of thousands of rows).
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, fields
from decimal import Decimal

from django.db.models import QuerySet

from scheduling.engine.protocol import mg_per_m2


@dataclass(frozen=True, slots=True)
class BookingRow:
    pk: int
    patient_id: int
    plan_id: int
    drug_id: int
    plan_status: str
    plan_start: datetime.date
    plan_course_days: int | None
    phase_id: int
    phase_order: int
    phase_name: str
    dose_unit: str
    dose_amount: Decimal
    chair_id: int
    status: str
    premed_start: datetime.datetime
    observation_end: datetime.datetime
    course_id: uuid.UUID | None
    course_day: int
    infusion_number: int
    dose_mg: Decimal

    @property
    def course_key(self) -> object:
        """The booking's dose: a course's days share it, a single-day dose is its own."""
        return self.course_id or ("single", self.pk)

    def mg_per_m2(self, body_surface_area: Decimal | None) -> Decimal | None:
        """The dose per m² of body surface area (None when a mg dose meets an unknown surface area)."""
        return mg_per_m2(self.dose_mg, body_surface_area, dose_unit=self.dose_unit, dose_amount=self.dose_amount)

    @property
    def chair_minutes(self) -> int:
        return int((self.observation_end - self.premed_start).total_seconds() // 60)


# The appointment lookup behind each field, in the fields' order.
_LOOKUPS = {
    "drug_id": "plan__drug_id",
    "plan_status": "plan__status",
    "plan_start": "plan__start_date",
    "plan_course_days": "plan__course_days",
    "phase_order": "phase__order",
    "phase_name": "phase__name",
    "dose_unit": "phase__dose_unit",
    "dose_amount": "phase__dose_amount",
}
LOOKUPS = tuple(_LOOKUPS.get(f.name, f.name) for f in fields(BookingRow))


def booking_rows(appointments: QuerySet) -> list[BookingRow]:
    """The appointments (filtered and ordered by the caller) as rows."""
    return [BookingRow(*values) for values in appointments.values_list(*LOOKUPS)]
