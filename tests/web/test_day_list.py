"""The day list: its lines, filters per chair and nurse, the CSV, the access log, and the nurses' chairs."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from daylist.models import ChairAssignment
from infusion_center import roles
from patients.models import PatientAccess
from tests.clock import local
from tests.factories import AppointmentFactory, PatientFactory, ScreeningFactory, TreatmentPlanFactory, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def day_visits(center):
    day = timezone.localdate() + datetime.timedelta(days=1)
    sofia = PatientFactory(
        first_name="Sofia",
        last_name="Doyle-Montgomery",
        mrn="MRN-4471",
        date_of_birth=datetime.date(1984, 3, 9),
        allergies="Penicillin (rash, hives); Latex\nShellfish",
    )
    ScreeningFactory(patient=sofia, kind="hep_b", taken_on=timezone.localdate())
    omar = PatientFactory(first_name="=HYPERLINK(1)", last_name="Omar", mrn="MRN-0002", allergies="")
    first = AppointmentFactory(
        ocrevus_maintenance=True,
        chair=center[0],
        premed_start=local(day, 8, 15),
        plan=TreatmentPlanFactory(patient=sofia),
    )
    second = AppointmentFactory(
        ocrevus_maintenance=True,
        chair=center[1],
        premed_start=local(day, 10, 30),
        plan=TreatmentPlanFactory(patient=omar),
    )
    return day, first, second


def test_day_list_shows_one_line_per_visit_with_every_field(client, nurse, day_visits):
    day, first, second = day_visits
    client.force_login(nurse)
    response = client.get(reverse("daylist:day-list"), {"day": day.isoformat()})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('<tr class="visit') == 2
    for text in (
        "Sofia Doyle-Montgomery",
        "9 Mar 1984",
        "MRN-4471",
        first.chair.name,
        "Ocrevus (IV)",
        "600 mg",
        '<span class="allergy">Penicillin (rash, hives)</span><span class="allergy">Latex</span>'
        '<span class="allergy">Shellfish</span>',
        "08:15",
        "Blocked",  # no infection check on record
    ):
        assert text in html, text
    assert "<h2>08:00</h2>" in html and "<h2>10:00</h2>" in html  # grouped by hour: a page each when printed
    assert 'href="/static/css/day_list.css"' in html
    assert 'class="navbar' not in html and "style=" not in html  # no navigation, no inline style
    logged = set(PatientAccess.objects.filter(user=nurse).values_list("patient_id", flat=True))
    assert logged == {first.patient_id, second.patient_id}


def test_day_list_per_chair_and_per_nurse(client, nurse, scheduler, day_visits, center):
    day, first, second = day_visits
    other_nurse = staff(roles.NURSE, "nina", first_name="Nina", last_name="Okafor")
    client.force_login(nurse)
    response = client.post(
        reverse("daylist:assignments") + f"?day={day.isoformat()}",
        {f"chair_{center[0].pk}": nurse.pk, f"chair_{center[1].pk}": other_nurse.pk},
    )
    assert response.status_code == 302
    assert ChairAssignment.objects.filter(date=day).count() == 2

    html = client.get(reverse("daylist:day-list"), {"day": day.isoformat(), "chair": center[1].pk}).content.decode()
    assert "Omar" in html and "Sofia" not in html
    html = client.get(reverse("daylist:day-list"), {"day": day.isoformat(), "nurse": other_nurse.pk}).content.decode()
    assert "Omar" in html and "Sofia" not in html and "Nina Okafor" in html

    client.force_login(scheduler)  # schedulers print the list but do not assign nurses
    assert client.get(reverse("daylist:day-list"), {"day": day.isoformat()}).status_code == 200
    assert client.get(reverse("daylist:assignments")).status_code == 403


def test_day_list_csv_has_the_same_lines_and_no_formulas(client, nurse, day_visits):
    day, first, second = day_visits
    client.force_login(nurse)
    response = client.get(reverse("daylist:day-list-csv"), {"day": day.isoformat()})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert f'filename="day-list-{day.isoformat()}.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["Patient"] for r in rows] == ["Sofia Doyle-Montgomery", "'=HYPERLINK(1) Omar"]
    assert rows[0]["Date of birth"] == "9 Mar 1984" and rows[0]["MRN"] == "MRN-4471"
    assert rows[0]["Allergies"] == "Penicillin (rash, hives); Latex; Shellfish"
    assert rows[0]["Readiness"] == "Warnings" and rows[1]["Readiness"] == "Blocked" and rows[0]["Dose (mg)"] == "600"
    assert rows[0]["Arrival"] == "08:15" and rows[0]["Chair"] == first.chair.name
    assert PatientAccess.objects.filter(user=nurse, view_name="daylist:day-list-csv").count() == 2
    assert {r["Confirmation"] for r in rows} == {"Not confirmed"}  # nobody has answered yet


def test_the_day_list_shows_who_confirmed(client, nurse, day_visits):
    from replies.services.confirm import patient_confirm

    day, first, second = day_visits
    patient_confirm(appointment=first)
    client.force_login(nurse)
    html = client.get(reverse("daylist:day-list"), {"day": day.isoformat()}).content.decode()
    assert '<span class="sub confirm-confirmed">Confirmed</span>' in html
    assert '<span class="sub confirm-unconfirmed">Not confirmed</span>' in html
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(reverse("daylist:day-list-csv"), {"day": day.isoformat()}).content.decode("utf-8-sig")
            )
        )
    )
    assert [r["Confirmation"] for r in rows] == ["Confirmed", "Not confirmed"]


def test_day_list_needs_the_appointment_permission(client, drug_admin, outsider):
    for user in (drug_admin, outsider):
        client.force_login(user)
        assert client.get(reverse("daylist:day-list")).status_code == 403
        assert client.get(reverse("daylist:day-list-csv")).status_code == 403
    assert not PatientAccess.objects.exists()
