"""Tabular inlines whose fields carry their names: the column header of a tabular inline is not a label, so without
this a screen reader announces every field of the table as an unnamed edit box."""

from django.contrib import admin
from django.forms import HiddenInput


class LabelledTabularInline(admin.TabularInline):
    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        row_name = str(self.verbose_name).capitalize()

        class LabelledFormSet(formset):
            def add_fields(self, form, index):
                super().add_fields(form, index)
                row = f"{row_name} {index + 1}" if index is not None else f"New {row_name.lower()}"
                for field in form.fields.values():
                    # The widget itself, not the admin's "add another" wrapper: the wrapper's copy shares the attrs
                    # of the field it was copied from.
                    widget = getattr(field.widget, "widget", field.widget)
                    if not isinstance(widget, HiddenInput):
                        widget.attrs["aria-label"] = f"{row}: {field.label}"

        LabelledFormSet.__name__ = formset.__name__
        return LabelledFormSet
