"""The pharmacy's rules, without Django: when a dose may be released to mix, and when it is expected.

Expensive doses flagged "mix only after check-in and checks" are released only once the patient is checked in
and nothing blocks the infusion today; the others may be prepared ahead, from the day before.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

ARRIVED = ("checked_in", "premedicated")
BOOKED = ("scheduled", *ARRIVED)
PREPARE_AHEAD_DAYS = 1  # cheap doses: from the day before the visit


def release_refusal(
    *,
    drug_name: str,
    mix_after_check_in: bool,
    appointment_status: str,
    visit_day: datetime.date,
    today: datetime.date,
    blocking_problems: Sequence[str],
    dose_known: bool,
) -> str:
    """Why the dose cannot be released to mix now (a sentence), or "" when it can."""
    if appointment_status not in BOOKED:
        return f"The visit is {appointment_status.replace('_', ' ')}: there is no dose to prepare."
    if not dose_known:
        return f"The {drug_name} dose is unknown: record the patient's height and weight first."
    if visit_day < today:
        return "The visit was on an earlier day."
    if mix_after_check_in:
        if visit_day != today or appointment_status not in ARRIVED:
            return f"{drug_name} is mixed only after the patient has checked in."
        if blocking_problems:
            return f"{drug_name} is mixed only once the day's checks pass: " + " ".join(blocking_problems)
        return ""
    if (visit_day - today).days > PREPARE_AHEAD_DAYS:
        return f"{drug_name} can be prepared from the day before the visit."
    return ""


def expected_infusion_start(
    *,
    premed_start: datetime.datetime,
    infusion_start: datetime.datetime,
    checked_in_at: datetime.datetime | None,
    infusion_started_at: datetime.datetime | None,
) -> datetime.datetime:
    """When the infusion is expected to start: arrival (booked, or the actual check-in if later) plus the
    premedication lead; the actual start once it has begun."""
    if infusion_started_at is not None:
        return infusion_started_at
    lead = infusion_start - premed_start
    arrival = max(premed_start, checked_in_at) if checked_in_at is not None else premed_start
    return arrival + lead
