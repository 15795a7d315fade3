"""Django admin for patients: identity, contact, clinical profile, emergency contacts and screenings."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from patients.access import PatientAccessAdminMixin
from patients.models import EmergencyContact, Patient, Screening


class EmergencyContactInline(admin.TabularInline):
    model = EmergencyContact
    extra = 0
    fields = ("name", "relationship", "phone")


class ScreeningInline(admin.TabularInline):
    model = Screening
    extra = 0
    fields = ("kind", "taken_on", "result", "value", "valid_days", "valid_until", "notes", "recorded_by")
    readonly_fields = ("valid_until", "recorded_by")
    ordering = ("-taken_on",)

    @admin.display(description="Valid until")
    def valid_until(self, screening: Screening):
        return screening.valid_until if screening.pk else "-"


@admin.register(Patient)
class PatientAdmin(PatientAccessAdminMixin, SimpleHistoryAdmin):
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
        (None, {"fields": ("mrn", "first_name", "last_name", "date_of_birth", "sex", "reproductive_potential")}),
        (
            "Contact and reminders",
            {"fields": ("email", "phone", "address", "reminder_consent", "reminders_opted_out_at")},
        ),
        (
            "Clinical profile",
            {
                "fields": (
                    "ms_type",
                    "height_cm",
                    "weight_kg",
                    "body_surface_area",
                    "fluid_restriction",
                    "allergies",
                    "current_medications",
                    "conditions",
                    "notes",
                )
            },
        ),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )

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
    list_select_related = ("patient",)
    autocomplete_fields = ("patient",)
    date_hierarchy = "taken_on"
    readonly_fields = ("recorded_by", "recorded_at")

    @admin.display(description="Valid today", boolean=True)
    def valid_today(self, screening: Screening) -> bool:
        return screening.is_valid_on(timezone.localdate())

    def save_model(self, request, obj, form, change):
        if obj.recorded_by_id is None:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)
