"""Helpers for the admin privilege tests: form data as a browser sends it, and a fingerprint of the data."""

from __future__ import annotations

import datetime
import hashlib

from django.apps import apps
from django.contrib.auth.models import Permission

from patients.models import PatientAccess

# Written by reading pages, not by changing records: sign-in records, sessions and the access log.
NOT_RECORD_DATA = {"axes", "sessions", "admin", "contenttypes"}
NOT_RECORD_MODELS = {PatientAccess, Permission}


def form_data(response) -> dict:
    """The POST data a browser would send back for an admin change or history form, unchanged."""
    data = {}

    def add(form):
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif value is None:
                data[key] = ""
            elif isinstance(value, list | tuple):
                data[key] = [str(getattr(v, "pk", v)) for v in value]
            elif isinstance(value, datetime.datetime):
                data[key] = value.strftime("%Y-%m-%d %H:%M:%S")
            else:
                data[key] = str(getattr(value, "pk", value))

    context = response.context
    if context is None or "adminform" not in context:
        return data
    add(context["adminform"].form)
    for inline in context.get("inline_admin_formsets", []):
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


def data_fingerprint() -> str:
    """A digest of every row of every record table (history and users included)."""
    digest = hashlib.sha256()
    for model in sorted(apps.get_models(), key=lambda m: m._meta.label):
        if model._meta.app_label in NOT_RECORD_DATA or model in NOT_RECORD_MODELS:
            continue
        for row in model._default_manager.order_by("pk").values_list():
            digest.update(repr(row).encode())
        for field in model._meta.many_to_many:
            through = getattr(model, field.name).through
            for row in through.objects.order_by("pk").values_list():
                digest.update(repr(row).encode())
    return digest.hexdigest()
