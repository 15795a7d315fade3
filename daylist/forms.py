from __future__ import annotations

from django import forms

from daylist.selectors import nurse_name, nurses
from infusion_center.validators import within_plausible_years
from patients.forms import DateInput
from scheduling.models import Chair


class NurseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return nurse_name(obj)


class DayListFilterForm(forms.Form):
    day = forms.DateField(required=False, widget=DateInput(), validators=[within_plausible_years])
    chair = forms.ModelChoiceField(queryset=Chair.objects.none(), required=False, empty_label="All chairs")
    nurse = NurseChoiceField(queryset=nurses().none(), required=False, empty_label="All nurses")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = Chair.objects.filter(is_active=True)
        self.fields["nurse"].queryset = nurses()


class AssignmentForm(forms.Form):
    """One nurse select per active chair."""

    def __init__(self, *args, chairs, initial_nurses: dict[int, object], **kwargs):
        super().__init__(*args, **kwargs)
        self.chairs = list(chairs)
        for chair in self.chairs:
            self.fields[f"chair_{chair.pk}"] = NurseChoiceField(
                queryset=nurses(),
                required=False,
                label=chair.name,
                empty_label="No nurse",
                initial=initial_nurses.get(chair.pk),
            )

    def nurses_by_chair(self) -> dict[int, object | None]:
        return {chair.pk: self.cleaned_data.get(f"chair_{chair.pk}") for chair in self.chairs}
