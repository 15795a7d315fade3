"""Words on the booking pages: no premedication time without a premedication, the infusion number once, and the
navigation keeps the section find-a-time was opened from."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import PatientFactory, TreatmentPlanFactory, opening_hours, seeded_drug
from tests.web.helpers import chairs

pytestmark = pytest.mark.django_db


@pytest.fixture
def center(db):
    opening_hours()
    return chairs(2)


def _plan(drug_name: str):
    return TreatmentPlanFactory(
        patient=PatientFactory(),
        drug=seeded_drug(drug_name),
        start_date=timezone.localdate() + datetime.timedelta(days=3),
    )


def _active_nav(html: str) -> list[str]:
    return re.findall(r'class="nav-link[^"]*\bactive\b[^"]*"[^>]*>([^<]+)<', html)


def test_a_drug_without_premedication_offers_times_without_a_premed_time(client, scheduler, center):
    client.force_login(scheduler)
    response = client.get(reverse("scheduling:plan-find", args=[_plan("Tysabri").pk]))
    assert response.status_code == 200 and response.context["slots"]
    html = response.content.decode()
    assert all(d.premed_start == d.infusion_start for s in response.context["slots"] for d in s.days)
    assert "premed " not in html and "infusion " in html


def test_a_drug_with_premedication_offers_its_premed_time(client, scheduler, center):
    client.force_login(scheduler)
    response = client.get(reverse("scheduling:plan-find", args=[_plan("Ocrevus (IV)").pk]))
    assert response.status_code == 200 and response.context["slots"]
    assert "premed " in response.content.decode()


def test_the_first_ocrevus_infusion_is_named_once(client, scheduler, center):
    client.force_login(scheduler)
    plan = _plan("Ocrevus (IV)")
    html = client.get(reverse("scheduling:plan-find", args=[plan.pk])).content.decode()
    assert "Initial dose, infusion 1" in html and "infusion 1, infusion 1" not in html
    patient_page = client.get(plan.patient.get_absolute_url()).content.decode()
    assert "Initial dose, infusion 1" in patient_page and "infusion 1</strong>, infusion 1" not in patient_page


def test_find_a_time_highlights_the_section_it_was_opened_from(client, scheduler, center):
    client.force_login(scheduler)
    plan = _plan("Ocrevus (IV)")
    url = reverse("scheduling:plan-find", args=[plan.pk])
    assert _active_nav(client.get(url).content.decode()) == ["Patients"]
    from_worklist = client.get(url + "?from=worklist").content.decode()
    assert _active_nav(from_worklist) == ["Worklist"]
    assert '<input type="hidden" name="from" value="worklist">' in from_worklist  # kept by the search form
    assert _active_nav(client.get(url + "?from=elsewhere").content.decode()) == ["Patients"]
    worklist = client.get(reverse("scheduling:worklist")).content.decode()
    assert f"{url}?from=worklist" in worklist
