"""django-simple-history's history form ("Revert") saves only for users who may change the record.

Found: a manager with view rights only POSTed the history form of Tysabri back and its minimum gap became the
old version's. Each history-tracked admin is tried: a view-only user's POST is refused and changes nothing.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from patients.models import CheckKind, Patient, Screening
from replies.models import DrugAdvice, SymptomOption
from scheduling.models import (
    Appointment,
    Closure,
    Drug,
    InfusionReaction,
    NurseStaffing,
    Premedication,
    ReadinessOverride,
    RegimenPhase,
    ScreeningRequirement,
    TreatmentPlan,
)
from tests.factories import UserFactory
from tests.security.admin_helpers import data_fingerprint, form_data

pytestmark = pytest.mark.django_db

# For each history-tracked admin: a field and a new value to give the record after its first version.
CHANGES = {
    Patient: ("email", "changed@patients.example"),
    Screening: ("notes", "changed"),
    Drug: ("min_gap_days", 1),
    RegimenPhase: ("notes", "changed"),
    Premedication: ("dose", "changed"),
    ScreeningRequirement: ("notes", "changed"),
    Closure: ("reason", "changed"),
    NurseStaffing: ("notes", "changed"),
    TreatmentPlan: ("notes", "changed"),
    Appointment: ("notes", "changed"),
    InfusionReaction: ("symptoms", "changed"),
    ReadinessOverride: ("reason", "changed"),
    CheckKind: ("notes", "changed"),
    SymptomOption: ("label", "changed"),
    DrugAdvice: ("after_visit", "changed"),
}
HISTORY_ADMINS = sorted(
    (m for m, a in admin.site._registry.items() if isinstance(a, SimpleHistoryAdmin)), key=lambda m: m.__name__
)


def test_every_history_tracked_admin_is_tried():
    assert set(HISTORY_ADMINS) == set(CHANGES), "add the new history-tracked admin to CHANGES"


def _record(model, records):
    by_name = {type(v): v for v in records.values() if hasattr(v, "pk")}
    if model in by_name:
        return by_name[model]
    if model is Closure:
        return Closure.objects.create(
            starts_on=datetime.date(2030, 1, 1), ends_on=datetime.date(2030, 1, 2), reason="Move"
        )
    if model is NurseStaffing:
        return NurseStaffing.objects.create(date=datetime.date(2030, 1, 3), nurses_on_duty=3, notes="")
    return model.objects.order_by("pk").first()


def _view_only_staff(model):
    user = UserFactory(username=f"viewer-{model._meta.model_name}", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label=model._meta.app_label, codename=f"view_{model._meta.model_name}")
    )
    return user


@pytest.mark.parametrize("model", HISTORY_ADMINS, ids=lambda m: m.__name__)
def test_a_view_only_user_cannot_revert(model, records, client):
    obj = _record(model, records)
    first_version = obj.history.order_by("history_date", "history_id").first()
    field, new_value = CHANGES[model]
    old_value = getattr(obj, field)
    setattr(obj, field, new_value)
    obj.save()
    url = reverse(
        f"admin:{model._meta.app_label}_{model._meta.model_name}_simple_history",
        args=[obj.pk, first_version.history_id],
    )

    client.force_login(_view_only_staff(model))
    page = client.get(url)
    assert page.status_code == 200  # looking at an old version is allowed
    assert 'name="_save"' not in page.content.decode()  # and no Revert button is offered
    before = data_fingerprint()
    response = client.post(url, {**form_data(page), field: str(old_value), "_save": "Revert"})

    assert response.status_code == 403
    obj.refresh_from_db()
    assert getattr(obj, field) == new_value
    assert data_fingerprint() == before


@pytest.mark.parametrize("model", [Drug, Patient, Closure], ids=lambda m: m.__name__)
def test_a_user_who_may_change_the_record_still_reverts(model, records, client):
    """The control for the test above: the same POST by a superuser does revert."""
    obj = _record(model, records)
    first_version = obj.history.order_by("history_date", "history_id").first()
    field, new_value = CHANGES[model]
    old_value = getattr(obj, field)
    setattr(obj, field, new_value)
    obj.save()
    url = reverse(
        f"admin:{model._meta.app_label}_{model._meta.model_name}_simple_history",
        args=[obj.pk, first_version.history_id],
    )
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    page = client.get(url)
    response = client.post(url, {**form_data(page), "_save": "Revert"})
    assert response.status_code == 302
    obj.refresh_from_db()
    assert getattr(obj, field) == old_value


@pytest.mark.parametrize("model", [Appointment, InfusionReaction, TreatmentPlan], ids=lambda m: m.__name__)
def test_records_written_by_the_services_are_never_reverted_in_admin(model, records, client):
    obj = _record(model, records)
    first_version = obj.history.order_by("history_date", "history_id").first()
    field, new_value = CHANGES[model]
    setattr(obj, field, new_value)
    obj.save()
    url = reverse(
        f"admin:{model._meta.app_label}_{model._meta.model_name}_simple_history",
        args=[obj.pk, first_version.history_id],
    )
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    page = client.get(url)
    assert client.post(url, {**form_data(page), "_save": "Revert"}).status_code == 403
    obj.refresh_from_db()
    assert getattr(obj, field) == new_value
