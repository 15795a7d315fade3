"""The pharmacy status on the chair board's blocks (one query for the whole day)."""

from __future__ import annotations

from pharmacy.models import Preparation
from pharmacy.selectors import pharmacy_status_labels


def annotate_board_pharmacy(lanes) -> None:
    """Give each block of a pharmacy-prepared drug its dose's status (to prepare when it has none yet)."""
    items = [item for lane in lanes for item in lane.items if item.appointment.phase.drug.pharmacy_prepared]
    if not items:
        return
    statuses = pharmacy_status_labels(item.appointment.pk for item in items)
    default = (Preparation.Status.TO_PREPARE.value, Preparation.Status.TO_PREPARE.label)
    for item in items:
        if item.appointment.is_active or item.appointment.pk in statuses:
            item.pharmacy = statuses.get(item.appointment.pk, default)
