"""Django admin: the drug catalogue (with its full change history), the center's resources, and read-mostly records.

Django has no nested inlines, so a drug shows its phases inline with a link to each phase's own page,
where the phase's premedications are edited inline.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from infusion_center.admin_labels import LabelledTabularInline
from patients.access import PatientAccessAdminMixin
from scheduling.attention_admin import ReportsFlaggedBookingsMixin
from scheduling.catalogue import phase_spec
from scheduling.engine.protocol import chair_time
from scheduling.models import (
    Appointment,
    Chair,
    Closure,
    Drug,
    InfusionReaction,
    NurseStaffing,
    OpeningHours,
    Premedication,
    PremedicationGiven,
    ReadinessOverride,
    RegimenPhase,
    ScreeningRequirement,
    TreatmentPlan,
)

admin.site.site_header = f"{settings.CENTER_NAME} administration"
admin.site.site_title = f"{settings.CENTER_NAME} admin"
admin.site.index_title = "Drug catalogue, center set-up and records"


def _chair_time_label(phase: RegimenPhase) -> str:
    """The chair time of the phase's first dose (day 1 of a course), as the engine computes it."""
    spec = phase_spec(phase, phase.drug)
    first_infusion = 1 + sum(p.consecutive_days for p in phase.drug.phases.all() if p.order < phase.order)
    standard = chair_time(spec, infusion_number=first_infusion, use_short_infusion=False)
    label = (
        f"{standard.premed_minutes} + {standard.infusion_minutes} + {standard.observation_minutes}"
        f" = {standard.total_minutes} min"
    )
    if spec.short_infusion_minutes is not None:
        short = chair_time(spec, infusion_number=first_infusion)
        label += f" (shorter option: {short.total_minutes} min)"
    last_day = spec.consecutive_days_max or spec.consecutive_days
    for day in range(2, last_day + 1):
        later = chair_time(spec, infusion_number=first_infusion + day - 1, course_day=day, use_short_infusion=False)
        if later.total_minutes != standard.total_minutes:
            label += f"; from day {day}: {later.total_minutes} min"
            break
    return label


# ---------------------------------------------------------------------------
# Drug catalogue
# ---------------------------------------------------------------------------


# A drug's safety check as the drug admin reads it: which check, when, and what it blocks
REQUIREMENT_COLUMNS = (
    "kind",
    "when",
    "blocking",
    "gates_booking",
    "max_age_days",
    "min_value",
    "reproductive_potential_only",
)


class RegimenPhaseInline(LabelledTabularInline):
    model = RegimenPhase
    extra = 0
    show_change_link = True
    fields = (
        "order",
        "name",
        "dose_amount",
        "dose_unit",
        "infusion_minutes",
        "short_infusion_minutes",
        "observation_minutes",
        "interval_days",
        "repeats",
        "consecutive_days",
        "premedication_summary",
    )
    readonly_fields = ("premedication_summary",)
    ordering = ("order",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("premedications")

    @admin.display(description="Premedications (edit on the phase's page)")
    def premedication_summary(self, phase: RegimenPhase) -> str:
        if not phase.pk:
            return "-"
        premeds = list(phase.premedications.all())
        if not premeds:
            return "None"
        return format_html_join(
            ", ",
            "{} ({} min before{})",
            ((p.drug_name, p.minutes_before, "" if p.required else ", optional") for p in premeds),
        )


class ScreeningRequirementInline(LabelledTabularInline):
    model = ScreeningRequirement
    extra = 0
    ordering = ("when", "kind__name")
    fields = (*REQUIREMENT_COLUMNS, "notes")


class WrittenByServicesMixin:
    """Rows the app's services create and end (booking, the visit): the admin shows and annotates them, never adds or
    deletes one (that would skip the checks, the history and the patient's emails)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Drug)
class DrugAdmin(ReportsFlaggedBookingsMixin, SimpleHistoryAdmin):
    list_display = (
        "name",
        "generic_name",
        "ingredient",
        "route",
        "is_anti_cd20",
        "safety_program",
        "min_gap_days",
        "cumulative_limit_mg_m2",
        "phase_count",
        "is_active",
    )
    list_filter = ("is_active", "route", "is_anti_cd20", "needs_prior_authorisation", "mix_after_check_in")
    search_fields = ("name", "brand_name", "generic_name", "safety_program")
    inlines = (RegimenPhaseInline, ScreeningRequirementInline)
    fieldsets = (
        (None, {"fields": ("name", "brand_name", "generic_name", "ingredient", "route", "is_active", "colour")}),
        (
            "Safety",
            {
                "fields": (
                    "is_anti_cd20",
                    "safety_program",
                    "reaction_window_hours",
                    "reaction_restarts_observation",
                    "stroke_warning_days",
                    "min_gap_days",
                    "cumulative_limit_mg_m2",
                )
            },
        ),
        (
            "Insurance and pharmacy",
            {"fields": ("needs_prior_authorisation", "pharmacy_prepared", "mix_after_check_in")},
        ),
        ("Sources and defaults", {"fields": ("notes",)}),
    )
    history_list_display = ("min_gap_days", "is_active")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_phase_count=Count("phases"))

    @admin.display(description="Phases", ordering="_phase_count")
    def phase_count(self, drug: Drug) -> int:
        return drug._phase_count


class PremedicationInline(LabelledTabularInline):
    model = Premedication
    extra = 0
    fields = ("drug_name", "dose", "route", "minutes_before", "required", "only_on_course_days", "notes")


@admin.register(RegimenPhase)
class RegimenPhaseAdmin(ReportsFlaggedBookingsMixin, SimpleHistoryAdmin):
    list_display = (
        "drug",
        "order",
        "name",
        "dose_label",
        "infusion_minutes",
        "observation_minutes",
        "interval_days",
        "repeats",
        "consecutive_days",
        "chair_time",
    )
    list_display_links = ("name",)
    list_filter = ("drug", "repeats", "dose_unit")
    search_fields = ("name", "drug__name", "notes")
    list_select_related = ("drug",)
    ordering = ("drug__name", "order")
    inlines = (PremedicationInline,)
    readonly_fields = ("chair_time",)
    fieldsets = (
        (None, {"fields": ("drug", "order", "name", "dose_amount", "dose_unit")}),
        (
            "Chair time",
            {
                "fields": (
                    "infusion_minutes",
                    "short_infusion_minutes",
                    "short_infusion_rule",
                    "observation_minutes",
                    "reduced_observation_minutes",
                    "reduced_observation_from_infusion",
                    "chair_time",
                )
            },
        ),
        (
            "Dosing schedule",
            {
                "fields": (
                    "interval_days",
                    "interval_anchor",
                    "window_early_days",
                    "window_late_days",
                    "min_gap_days",
                    "repeats",
                    "consecutive_days",
                    "consecutive_days_max",
                )
            },
        ),
        ("Notes", {"fields": ("notes",)}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("premedications", "drug__phases")

    @admin.display(description="Dose")
    def dose_label(self, phase: RegimenPhase) -> str:
        return phase.dose_label

    @admin.display(description="Chair time (premedication + infusion + observation)")
    def chair_time(self, phase: RegimenPhase) -> str:
        if not phase.pk:
            return "Shown once the phase is saved."
        return _chair_time_label(phase)


@admin.register(Premedication)
class PremedicationAdmin(ReportsFlaggedBookingsMixin, SimpleHistoryAdmin):
    list_display = ("drug_name", "phase", "dose", "route", "minutes_before", "required", "only_on_course_days")
    list_filter = ("phase__drug", "required")
    search_fields = ("drug_name", "phase__name", "phase__drug__name")
    list_select_related = ("phase__drug",)
    autocomplete_fields = ("phase",)


@admin.register(ScreeningRequirement)
class ScreeningRequirementAdmin(SimpleHistoryAdmin):
    list_display = ("drug", *REQUIREMENT_COLUMNS)
    list_filter = ("drug", "kind", "when", "blocking", "gates_booking")
    search_fields = ("drug__name", "kind__name", "notes")
    list_select_related = ("drug", "kind")


# ---------------------------------------------------------------------------
# The center
# ---------------------------------------------------------------------------


@admin.register(Chair)
class ChairAdmin(ReportsFlaggedBookingsMixin, admin.ModelAdmin):
    list_display = ("name", "position", "is_active", "notes")
    list_editable = ("position", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "notes")


@admin.register(OpeningHours)
class OpeningHoursAdmin(ReportsFlaggedBookingsMixin, admin.ModelAdmin):
    list_display = ("weekday", "opens_at", "closes_at", "nurses_on_duty", "setup_minutes", "patients_per_nurse")
    ordering = ("weekday",)


@admin.register(Closure)
class ClosureAdmin(ReportsFlaggedBookingsMixin, SimpleHistoryAdmin):
    list_display = ("starts_on", "ends_on", "where", "reason")
    list_filter = ("chair",)
    search_fields = ("reason",)
    date_hierarchy = "starts_on"
    list_select_related = ("chair",)

    @admin.display(description="Closed", ordering="chair__name")
    def where(self, closure: Closure) -> str:
        return closure.chair.name if closure.chair_id else "Whole center"


@admin.register(NurseStaffing)
class NurseStaffingAdmin(ReportsFlaggedBookingsMixin, SimpleHistoryAdmin):
    list_display = ("date", "nurses_on_duty", "setup_minutes", "patients_per_nurse", "notes")
    date_hierarchy = "date"
    search_fields = ("notes",)


# ---------------------------------------------------------------------------
# Plans and visits: booked and run in the staff app; admin reads them and fixes notes.
# ---------------------------------------------------------------------------


@admin.register(TreatmentPlan)
class TreatmentPlanAdmin(PatientAccessAdminMixin, SimpleHistoryAdmin):
    allow_revert = False  # written by the app's services; an old version must not overwrite visit state
    list_display = ("patient", "drug", "status", "start_date", "course_days", "preferred_chair", "created_at")
    list_filter = ("status", "drug")
    search_fields = ("patient__last_name", "patient__first_name", "patient__mrn")
    list_select_related = ("patient", "drug", "preferred_chair")
    autocomplete_fields = ("patient",)
    readonly_fields = ("created_by", "created_at")
    # no date hierarchy: its years and months are a DISTINCT over every plan of the center's history

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class _ReadOnlyInline(LabelledTabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class PremedicationGivenInline(_ReadOnlyInline):
    model = PremedicationGiven
    fields = ("premedication", "given_at", "given_by")
    readonly_fields = fields


class InfusionReactionInline(_ReadOnlyInline):
    model = InfusionReaction
    fk_name = "appointment"
    fields = ("occurred_at", "severity", "symptoms", "action_taken", "recorded_by")
    readonly_fields = fields


class ReadinessOverrideInline(_ReadOnlyInline):
    model = ReadinessOverride
    fields = ("overridden_at", "overridden_by", "problems", "reason")
    readonly_fields = fields


@admin.register(Appointment)
class AppointmentAdmin(WrittenByServicesMixin, PatientAccessAdminMixin, SimpleHistoryAdmin):
    """Read-mostly: bookings and visit steps go through the staff app's services; only notes are edited here."""

    allow_revert = False  # written by the app's services; an old version must not overwrite visit state

    list_display = (
        "premed_start",
        "patient",
        "drug",
        "phase_name",
        "infusion_number",
        "course_day",
        "chair",
        "chair_minutes",
        "status",
    )
    list_filter = ("status", "phase__drug", "chair")
    search_fields = ("patient__last_name", "patient__first_name", "patient__mrn", "uid")
    list_select_related = ("patient", "phase__drug", "chair")
    # No date hierarchy: its year links are a DISTINCT over every appointment; search and filters find a visit.
    inlines = (PremedicationGivenInline, InfusionReactionInline, ReadinessOverrideInline)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "patient",
                    "plan",
                    "phase",
                    "chair",
                    "status",
                    "infusion_number",
                    "course_day",
                    "course_id",
                    "dose_mg",
                    "short_infusion",
                )
            },
        ),
        ("Booked times", {"fields": ("premed_start", "infusion_start", "infusion_end", "observation_end")}),
        (
            "Visit",
            {
                "fields": (
                    "checked_in_at",
                    "premedicated_at",
                    "infusion_started_at",
                    "infusion_ended_at",
                    "discharged_at",
                    "no_show_at",
                    "cancelled_at",
                    "cancel_reason",
                    "rescheduled_from",
                )
            },
        ),
        ("Record", {"fields": ("notes", "uid", "ics_sequence", "created_by", "created_at", "updated_at")}),
    )

    def get_readonly_fields(self, request, obj=None):
        editable = {"notes"}
        return [f.name for f in Appointment._meta.fields if f.name not in editable and f.name != "id"]

    @admin.display(description="Drug", ordering="phase__drug__name")
    def drug(self, appointment: Appointment) -> str:
        return appointment.phase.drug.name

    @admin.display(description="Phase", ordering="phase__order")
    def phase_name(self, appointment: Appointment) -> str:
        return appointment.phase.name


@admin.register(InfusionReaction)
class InfusionReactionAdmin(WrittenByServicesMixin, PatientAccessAdminMixin, SimpleHistoryAdmin):
    allow_revert = False  # written by the app's services; an old version must not overwrite visit state
    list_display = ("occurred_at", "patient", "drug", "severity_badge", "recorded_by")
    list_filter = ("severity", "drug")
    search_fields = ("patient__last_name", "patient__first_name", "patient__mrn", "symptoms")
    list_select_related = ("patient", "drug", "recorded_by")
    date_hierarchy = "occurred_at"
    readonly_fields = ("appointment", "patient", "drug", "occurred_at", "severity", "recorded_by", "recorded_at")
    fields = readonly_fields[:5] + ("symptoms", "action_taken", "recorded_by", "recorded_at")

    @admin.display(description="Severity", ordering="severity")
    def severity_badge(self, reaction: InfusionReaction) -> str:
        if reaction.is_serious:
            return format_html("<strong>{}</strong>", reaction.get_severity_display())
        return reaction.get_severity_display()


@admin.register(ReadinessOverride)
class ReadinessOverrideAdmin(PatientAccessAdminMixin, SimpleHistoryAdmin):
    access_patient_attribute = "appointment.patient_id"
    allow_revert = False  # written by the app's services; an old version must not overwrite visit state
    list_display = ("overridden_at", "appointment", "overridden_by")
    search_fields = ("appointment__patient__last_name", "appointment__patient__mrn", "reason")
    list_select_related = ("appointment__patient", "appointment__phase__drug", "overridden_by")
    readonly_fields = ("appointment", "problems", "reason", "overridden_by", "overridden_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
