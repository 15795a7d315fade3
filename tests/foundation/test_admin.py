"""Every admin page opens, and every change to drug data is kept with who made it and what changed."""

import io

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from patients.models import Patient
from scheduling.models import Appointment, Chair, Drug, RegimenPhase
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return UserFactory(username="root-admin", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def demo_center(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("demo_center", "--password", "demo-password-123456", stdout=io.StringIO())


def _admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_the_admin_site_carries_the_center_name(admin_client, settings):
    response = admin_client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert f"{settings.CENTER_NAME} administration" in response.content.decode()


def test_every_changelist_add_change_and_history_page_opens(admin_client, demo_center, superuser):
    request = type("Request", (), {"user": superuser})()
    checked = 0
    for model, model_admin in admin.site._registry.items():
        response = admin_client.get(_admin_url(model, "changelist"))
        assert response.status_code == 200, f"{model.__name__} changelist: {response.status_code}"
        if model_admin.has_add_permission(request):
            response = admin_client.get(_admin_url(model, "add"))
            assert response.status_code == 200, f"{model.__name__} add: {response.status_code}"
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            response = admin_client.get(_admin_url(model, "change", obj.pk))
            assert response.status_code == 200, f"{model.__name__} change: {response.status_code}"
            response = admin_client.get(_admin_url(model, "history", obj.pk))
            assert response.status_code == 200, f"{model.__name__} history: {response.status_code}"
        checked += 1
    assert checked >= 15


def test_changelist_search_and_filters_work(admin_client, demo_center):
    response = admin_client.get(_admin_url(Drug, "changelist"), {"q": "ocrelizumab"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 2
    response = admin_client.get(
        _admin_url(RegimenPhase, "changelist"), {"drug__id__exact": Drug.objects.get(name="Tysabri").pk}
    )
    assert response.context["cl"].result_count == 1
    assert "0 + 60 + 60 = 120 min" in response.content.decode()


def _form_data(response) -> dict:
    """The POST data a browser would send back for an admin change form, unchanged."""
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
                data[key] = [str(v) for v in value]
            else:
                data[key] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


def test_a_drug_edit_in_admin_is_in_its_history_with_who_and_what(admin_client, superuser):
    drug = Drug.objects.get(name="Ocrevus (IV)")
    url = _admin_url(Drug, "change", drug.pk)
    data = _form_data(admin_client.get(url))
    assert data["min_gap_days"] == "152"
    data["min_gap_days"] = "140"
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors

    drug.refresh_from_db()
    assert drug.min_gap_days == 140
    latest, previous = drug.history.order_by("-history_date")[:2]
    assert latest.history_user == superuser
    assert latest.history_type == "~"
    delta = latest.diff_against(previous)
    assert [(c.field, c.old, c.new) for c in delta.changes] == [("min_gap_days", 152, 140)]

    history_page = admin_client.get(_admin_url(Drug, "history", drug.pk))
    assert history_page.status_code == 200
    assert superuser.username in history_page.content.decode()


def test_a_phase_edited_inline_on_its_drug_is_in_the_phase_history(admin_client, superuser):
    drug = Drug.objects.get(name="Tysabri")
    url = _admin_url(Drug, "change", drug.pk)
    data = _form_data(admin_client.get(url))
    phase = drug.phases.get()
    prefix = next(k for k, v in data.items() if k.endswith("-id") and v == str(phase.pk))[: -len("-id")]
    data[f"{prefix}-infusion_minutes"] = "65"
    response = admin_client.post(url, data)
    assert response.status_code == 302

    phase.refresh_from_db()
    assert phase.infusion_minutes == 65
    latest = phase.history.order_by("-history_date").first()
    assert latest.history_user == superuser
    assert latest.infusion_minutes == 65
    assert phase.history.order_by("-history_date")[1].infusion_minutes == 60


def test_premedications_are_edited_on_the_phase_page(admin_client, superuser):
    phase = RegimenPhase.objects.get(drug__name="Lemtrada", order=1)
    url = _admin_url(RegimenPhase, "change", phase.pk)
    page = admin_client.get(url)
    assert "60 + 240 + 120 = 420 min; from day 4: 360 min" in page.content.decode()
    data = _form_data(page)
    steroid = phase.premedications.get(drug_name="Methylprednisolone")
    prefix = next(k for k, v in data.items() if k.endswith("-id") and v == str(steroid.pk))[: -len("-id")]
    data[f"{prefix}-minutes_before"] = "90"
    assert admin_client.post(url, data).status_code == 302
    steroid.refresh_from_db()
    assert steroid.minutes_before == 90
    assert steroid.history.order_by("-history_date").first().history_user == superuser


def test_roles_see_their_part_of_admin(client, demo_center):
    drug_admin = get_user_model().objects.get(username="drugadmin")
    client.force_login(drug_admin)
    drug = Drug.objects.get(name="Briumvi")
    assert client.get(_admin_url(Drug, "change", drug.pk)).status_code == 200
    assert client.get(_admin_url(RegimenPhase, "add")).status_code == 200
    assert client.get(_admin_url(Patient, "changelist")).status_code == 403
    assert client.get(_admin_url(Chair, "add")).status_code == 403

    manager = get_user_model().objects.get(username="manager")
    client.force_login(manager)
    assert client.get(_admin_url(Chair, "add")).status_code == 200
    page = client.get(_admin_url(Drug, "change", drug.pk))
    assert page.status_code == 200 and not page.context["has_change_permission"]  # catalogue is read-only


def test_appointments_are_read_mostly_in_admin(admin_client, demo_center):
    assert admin_client.get(_admin_url(Appointment, "add")).status_code == 403
    appointment = Appointment.objects.first()
    assert admin_client.get(_admin_url(Appointment, "delete", appointment.pk)).status_code == 403
    form = admin_client.get(_admin_url(Appointment, "change", appointment.pk)).context["adminform"].form
    assert list(form.fields) == ["notes"]


@pytest.mark.parametrize("model", [Drug, RegimenPhase, Appointment, Patient])
def test_busy_changelists_do_not_query_per_row(admin_client, demo_center, model, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = admin_client.get(_admin_url(model, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 8
