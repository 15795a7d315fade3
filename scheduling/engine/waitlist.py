"""Ranking waitlisted patients for a freed chair time (pure: no Django).

Whether a patient fits at all is decided before ranking, by the same slot finding as booking (dose window,
chair time, the patient's other bookings, the center's nurse caps) and by readiness. Among those who fit:
1. a dose inside its window before one outside it (a late dose brought back into its window comes first);
2. the most urgent dose: the nearest last acceptable day of its window;
3. the most days gained over the patient's current booking (a dose not booked yet gains the most);
4. who has waited longest on the list.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

NOT_BOOKED_GAIN = 10_000  # a dose with no booking at all gains more than any move


@dataclass(frozen=True)
class WaitlistFit:
    entry_id: int
    in_window: bool
    latest: datetime.date  # the last day of the dose's window
    days_gained: int | None  # None: the dose is not booked yet
    waiting_since: datetime.datetime


def gain(fit: WaitlistFit) -> int:
    return NOT_BOOKED_GAIN if fit.days_gained is None else fit.days_gained


def rank(fits: Iterable[WaitlistFit]) -> list[WaitlistFit]:
    """Best first; only fits that gain time at all (a move to a later or the same day is no offer)."""
    useful = [f for f in fits if f.days_gained is None or f.days_gained > 0]
    return sorted(useful, key=lambda f: (not f.in_window, f.latest, -gain(f), f.waiting_since, f.entry_id))
