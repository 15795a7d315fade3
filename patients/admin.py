"""Django admin for patients (identity, contact, clinical profile, emergency contacts, screenings) and the safety
check catalogue the drug admin keeps (each check's result type and answers, with history)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from infusion_center import formats
from infusion_center.admin_labels import LabelledTabularInline
from patients.access import PatientAccessAdminMixin
from patients.models import CheckAnswer, CheckKind, EmergencyContact, Patient, Screening
from patients.search import patient_search, possible_duplicates


class EmergencyContactInline(LabelledTabularInline):
    model = EmergencyContact
    extra = 0
    fields = ("name", "relationship", "phone")


class ScreeningInline(LabelledTabularInline):
    model = Screening
    extra = 0
    fields = ("kind", "taken_on", "result", "value", "valid_days", "valid_until", "notes", "recorded_by")
    readonly_fields = ("valid_until", "recorded_by")
    ordering = ("-taken_on",)

    @admin.display(description="Valid until")
    def valid_until(self, screening: Screening):
        return screening.valid_until if screening.pk else "-"


IDENTITY = ("mrn", "first_name", "last_name", "date_of_birth", "sex", "reproductive_potential")
CONTACT = ("email", "phone", "address", "reminder_consent", "reminders_opted_out_at")
CLINICAL = (
    "ms_type",
    "height_cm",
    "weight_kg",
    "fluid_restriction",
    "allergies",
    "current_medications",
    "conditions",
    "notes",
)


class PatientAdminForm(forms.ModelForm):
    """The admin's patient form asks before saving a possible second record of a patient, as the app's form does."""

    not_the_same_person = forms.BooleanField(
        required=False,
        label="Not the same person as the possible matches shown: save anyway",
    )

    class Meta:
        model = Patient
        fields = IDENTITY + CONTACT + CLINICAL  # what the form may write; the fieldsets also show read-only fields

    def clean(self):
        data = super().clean()
        if self.errors or data.get("not_the_same_person"):
            return data
        matches = possible_duplicates(
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            date_of_birth=data.get("date_of_birth"),
            email=data.get("email", ""),
            mrn=data.get("mrn", ""),
            exclude_pk=self.instance.pk,
        )
        if matches:
            raise ValidationError(
                [
                    f"Possibly the same patient: {m.patient.last_name}, {m.patient.first_name} (MRN {m.patient.mrn}, "
                    f"born {formats.date(m.patient.date_of_birth)}): {'; '.join(m.reasons)}."
                    for m in matches
                ]
                + ['Nothing is saved yet. Open that record instead, or tick "Not the same person" below to save.']
            )
        return data


@admin.register(Patient)
class PatientAdmin(PatientAccessAdminMixin, SimpleHistoryAdmin):
    form = PatientAdminForm
    access_patient_attribute = "pk"
    list_display = (
        "last_name",
        "first_name",
        "mrn",
        "date_of_birth",
        "ms_type",
        "email",
        "reminder_consent",
        "body_surface_area",
    )
    list_display_links = ("last_name", "first_name")
    list_filter = ("ms_type", "sex", "reminder_consent", "fluid_restriction")
    search_fields = ("mrn", "last_name", "first_name", "email", "phone")
    inlines = (EmergencyContactInline, ScreeningInline)
    readonly_fields = ("body_surface_area", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": (*IDENTITY, "not_the_same_person")}),
        ("Contact and reminders", {"fields": CONTACT}),
        ("Clinical profile", {"fields": (*CLINICAL[:3], "body_surface_area", *CLINICAL[3:])}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )

    def get_search_results(self, request, queryset, search_term):
        """The front desk's search (names in any order, date of birth, phone, partial MRN), here and in the
        patient pickers of the other admin pages."""
        if not search_term.strip():
            return queryset, False
        return queryset.filter(pk__in=patient_search(search_term).values("pk")), False

    @admin.display(description="BSA (m²)")
    def body_surface_area(self, patient: Patient):
        return patient.body_surface_area or "-"

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        for instance in instances:
            if isinstance(instance, Screening) and instance.recorded_by_id is None:
                instance.recorded_by = request.user
            instance.save()
        formset.save_m2m()


@admin.register(Screening)
class ScreeningAdmin(PatientAccessAdminMixin, SimpleHistoryAdmin):
    list_display = ("patient", "kind", "taken_on", "result", "value", "valid_until", "valid_today")
    list_filter = ("kind", "result")
    search_fields = ("patient__last_name", "patient__first_name", "patient__mrn")
    list_select_related = ("patient", "kind")
    autocomplete_fields = ("patient",)
    # No date hierarchy: a DISTINCT over every screening of every patient to draw its year links.
    readonly_fields = ("recorded_by", "recorded_at")

    @admin.display(description="Valid today", boolean=True)
    def valid_today(self, screening: Screening) -> bool:
        return screening.is_valid_on(timezone.localdate())

    def save_model(self, request, obj, form, change):
        if obj.recorded_by_id is None:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


class CheckAnswerForm(forms.ModelForm):
    class Meta:
        model = CheckAnswer
        fields = ("position", "code", "label", "outcome", "advice")

    def clean_code(self):
        code = self.cleaned_data["code"]
        if self.instance.pk and code != self.instance.code:
            raise forms.ValidationError("An answer's code is stored with every result: add a new answer instead.")
        return code


class CheckAnswerInline(LabelledTabularInline):
    model = CheckAnswer
    form = CheckAnswerForm
    extra = 0
    fields = ("position", "code", "label", "outcome", "advice")
    ordering = ("position", "id")


@admin.register(CheckKind)
class CheckKindAdmin(SimpleHistoryAdmin):
    list_display = (
        "name",
        "code",
        "result_type",
        "threshold_label",
        "answer_list",
        "default_validity_days",
        "is_active",
    )
    list_filter = ("result_type", "is_active")
    search_fields = ("name", "code", "notes")
    inlines = (CheckAnswerInline,)
    fieldsets = (
        (None, {"fields": ("name", "code", "result_type", "default_validity_days", "is_active")}),
        (
            "Numeric checks",
            {"fields": ("unit", "threshold", "threshold_comparison", "threshold_hard_stop", "threshold_advice")},
        ),
        ("Sources", {"fields": ("notes",)}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("answers")

    def get_readonly_fields(self, request, obj=None):
        # Requirements and results name the check by its code: it is fixed once saved.
        return ("code",) if obj is not None else ()

    @admin.display(description="Clears when")
    def threshold_label(self, kind: CheckKind) -> str:
        return kind.threshold_text or "-"

    @admin.display(description="Answers")
    def answer_list(self, kind: CheckKind) -> str:
        marks = {"clears": "✓", "clears_warning": "✓ review", "not_cleared": "✗", "hard_stop": "✗ hard stop"}
        return ", ".join(f"{a.label} {marks.get(a.outcome, '')}" for a in kind.answers.all()) or "-"
