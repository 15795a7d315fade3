"""Manager pages: chairs, opening hours, closures, nurse staffing, and the reports."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from infusion_center import formats
from scheduling.forms import ChairForm, ClosureForm, NurseStaffingForm, OpeningHoursForm, ReportRangeForm
from scheduling.models import Chair, Closure, NurseStaffing, OpeningHours
from scheduling.selectors.attention import attention_count
from scheduling.selectors.center import center_resource, center_resources
from scheduling.selectors.reports import reports
from scheduling.services.center_resources import resource_save
from scheduling.services.derive import preview_flags

RESOURCES = {
    "chair": {
        "model": Chair,
        "form": ChairForm,
        "title": "Chairs",
        "singular": "chair",
        "columns": ["name", "position", "is_active", "notes"],
        "help": "Chairs appear on the board in their position order. An inactive chair takes no bookings.",
    },
    "hours": {
        "model": OpeningHours,
        "form": OpeningHoursForm,
        "title": "Opening hours",
        "singular": "opening hours",
        "columns": ["weekday", "opens_at", "closes_at", "nurses_on_duty", "setup_minutes", "patients_per_nurse"],
        "help": "Weekdays without hours are closed. Observation must end before closing time.",
    },
    "closure": {
        "model": Closure,
        "form": ClosureForm,
        "title": "Closures",
        "singular": "closure",
        "columns": ["chair", "starts_on", "ends_on", "reason"],
        "help": (
            "A closure without a chair closes the whole center. Bookings it covers are flagged as needing "
            "attention (you see how many before saving)."
        ),
    },
    "staffing": {
        "model": NurseStaffing,
        "form": NurseStaffingForm,
        "title": "Nurse staffing",
        "singular": "staffing day",
        "columns": ["date", "nurses_on_duty", "setup_minutes", "patients_per_nurse", "notes"],
        "help": "Staffing for one date, replacing the weekday's usual staffing from the opening hours.",
    },
}


def _perm(model, action: str) -> str:
    return f"scheduling.{action}_{model._meta.model_name}"


@login_required
def resource_list(request: HttpRequest, kind: str) -> HttpResponse:
    spec = RESOURCES[kind]
    model = spec["model"]
    if not request.user.has_perm(_perm(model, "view")):
        raise PermissionDenied
    queryset = center_resources(model)
    fields = [model._meta.get_field(name) for name in spec["columns"]]
    rows = [{"object": obj, "cells": [_display(obj, field) for field in fields]} for obj in queryset]
    context = {
        "spec": spec,
        "kind": kind,
        "headers": [f.verbose_name for f in fields],
        "rows": rows,
        "nav": "manage",
        "can_add": request.user.has_perm(_perm(model, "add")),
        "can_change": request.user.has_perm(_perm(model, "change")),
    }
    return render(request, "manage/resource_list.html", context)


def _display(obj, field) -> str:
    value = getattr(obj, field.name)
    if field.choices:
        return getattr(obj, f"get_{field.name}_display")()
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime.date):
        return formats.day_year(value)
    if isinstance(value, datetime.time):
        return formats.time(value)
    if value is None:
        return "Whole center" if field.name == "chair" else "—"
    return str(value)


@login_required
def resource_form(request: HttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    spec = RESOURCES[kind]
    model = spec["model"]
    instance = center_resource(model, pk) if pk is not None else None
    if pk is not None and instance is None:
        raise Http404
    if not request.user.has_perm(_perm(model, "change" if instance else "add")):
        raise PermissionDenied
    form = spec["form"](request.POST or None, instance=instance)
    flags = []
    if request.method == "POST" and form.is_valid():
        # first tell the manager what the change would flag; save once they confirm (or when it flags nothing)
        confirmed = request.POST.get("confirm_flags") == "yes"
        if not confirmed:
            fresh = center_resource(model, pk) if pk is not None else None
            flags = preview_flags(
                lambda: resource_save(
                    instance=spec["form"](request.POST, instance=fresh).save(commit=False), user=request.user
                )
            )
        if confirmed or not flags:
            before = attention_count()
            saved = resource_save(instance=form.save(commit=False), user=request.user)
            flagged = attention_count() - before
            note = (
                f" {flagged} booking{'s' if flagged != 1 else ''} now need{'' if flagged != 1 else 's'} attention."
                if flagged > 0
                else ""
            )
            messages.success(request, f"Saved: {saved}.{note}")
            return redirect(f"scheduling:{kind}-list")
    status = 400 if request.method == "POST" and not flags else 200
    context = {"spec": spec, "kind": kind, "form": form, "object": instance, "nav": "manage", "flags": flags}
    return render(request, "manage/resource_form.html", context, status=status)


@login_required
@permission_required("scheduling.view_reports", raise_exception=True)
def reports_page(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = ReportRangeForm(request.GET)
    first, last = today - datetime.timedelta(days=27), today + datetime.timedelta(days=13)
    status = 200
    if form.is_valid():
        first = form.cleaned_data["date_from"] or first
        last = form.cleaned_data["date_to"] or last
        if last < first:
            first, last = last, first
    else:
        status = 400
    context = {"form": form, "first": first, "last": last, "nav": "reports", **reports(first=first, last=last)}
    return render(request, "scheduling/reports.html", context, status=status)
