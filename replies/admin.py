"""Django admin: the per-drug symptom lists and advice (drug admins), with their change history."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from replies.models import DrugAdvice, SymptomOption


@admin.register(SymptomOption)
class SymptomOptionAdmin(SimpleHistoryAdmin):
    list_display = ("drug", "label", "urgent", "position")
    list_filter = ("drug", "urgent")
    search_fields = ("label",)
    ordering = ("drug", "-urgent", "position")


@admin.register(DrugAdvice)
class DrugAdviceAdmin(SimpleHistoryAdmin):
    list_display = ("drug",)
