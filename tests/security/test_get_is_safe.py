"""Every state change is a POST: no GET request to any URL, by a user allowed everything, changes data.

The walk reuses the anonymous URLconf walk's path builder, so URLs added later are covered. Reading a patient's
record writes an access-log row by design; that is the one write a GET may make.
"""

from __future__ import annotations

import uuid

import pytest
from django.apps import apps
from django.test import Client
from django.urls import resolve

from tests.factories import UserFactory
from tests.security.test_url_walk import _REGEX_GROUP, _ROUTE_PARAM, all_routes, concrete_path

pytestmark = pytest.mark.django_db

# Writes a GET may make: the access log of patient-record views, sessions and sign-in bookkeeping.
READ_SIDE_EFFECTS = {
    "patients.patientaccess",
    "sessions.session",
    "accounts.usersession",
    "axes.accessattempt",
    "axes.accesslog",
}


def data_fingerprint() -> dict[str, tuple[int, int]]:
    """Row count and highest id of every table the app owns, history tables included."""
    fingerprint = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in READ_SIDE_EFFECTS or model._meta.app_label not in {"patients", "scheduling", "auth", "accounts"}:
            continue
        rows = model._default_manager.all()
        pk = model._meta.pk.attname
        fingerprint[label] = (rows.count(), max(rows.values_list(pk, flat=True), default=0) if pk == "id" else 0)
    return fingerprint


def test_no_get_request_changes_data(records):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    client = Client(raise_request_exception=False)
    client.force_login(superuser)
    ids = sorted({obj.pk for obj in records.values() if isinstance(getattr(obj, "pk", None), int)} | {superuser.pk})
    uid = records["appointment"].uid
    before = data_fingerprint()
    checked = 0
    for route in all_routes():
        needs_values = any(
            _ROUTE_PARAM.search(str(getattr(p, "_route", ""))) or _REGEX_GROUP.search(getattr(p, "_regex", ""))
            for p in route.segments
        )
        for number in ids if needs_values else [0]:
            path = concrete_path(route, number, uid if needs_values else uuid.uuid4())
            try:
                resolve(path)
            except Exception:  # noqa: BLE001 - a path the walker cannot build for this id
                continue
            if path.startswith(("/accounts/logout", "/admin/logout")):
                continue  # signing out by GET is refused by Django 5 anyway; keep the session for the walk
            response = client.get(path)
            assert response.status_code < 500, path
            checked += 1
    after = data_fingerprint()
    changed = {label: (before[label], after[label]) for label in before if before[label] != after[label]}
    assert checked > 60
    assert changed == {}, f"GET requests changed data: {changed}"


def test_the_fingerprint_sees_a_change(records):
    before = data_fingerprint()
    records["patient"].first_name = "Changed"
    records["patient"].save()  # a new history row
    assert data_fingerprint() != before
