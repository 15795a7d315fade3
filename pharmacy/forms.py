from __future__ import annotations

import datetime

from django import forms


class WasteForm(forms.Form):
    reason = forms.CharField(
        max_length=200,
        label="Reason",
        help_text="E.g. 'patient did not attend', 'bag damaged', 'infusion stopped after a reaction'.",
    )


class MonthForm(forms.Form):
    month = forms.RegexField(regex=r"^\d{4}-(0[1-9]|1[0-2])$", required=False)

    def month_or(self, default: datetime.date) -> datetime.date:
        if self.is_valid() and self.cleaned_data["month"]:
            year, month = self.cleaned_data["month"].split("-")
            if 2000 <= int(year) <= 2100:
                return datetime.date(int(year), int(month), 1)
        return default.replace(day=1)
