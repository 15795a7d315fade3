"""Form validators shared by the apps."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

PLAUSIBLE_YEARS = 10


def within_plausible_years(value: datetime.date | datetime.datetime | None) -> None:
    """A day or time more than ten years from today is a typing slip (or a probe); refusing it also keeps the
    date arithmetic of the pages and searches in range (year 1 and 9999 overflow)."""
    if value is None:
        return
    today = timezone.localdate()
    if abs(value.year - today.year) > PLAUSIBLE_YEARS:
        raise forms.ValidationError(f"Choose a date within {PLAUSIBLE_YEARS} years of today.")
