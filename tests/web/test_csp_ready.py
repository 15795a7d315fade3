"""Pages carry no inline script and no inline style attribute, so a strict Content-Security-Policy can apply."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.clock import local
from tests.factories import AppointmentFactory, PatientFactory, TreatmentPlanFactory

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<[^>]+\sstyle\s*=", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def test_main_pages_have_no_inline_script_or_style(client, manager, scheduler, nurse, center):
    patient = PatientFactory()
    plan = TreatmentPlanFactory(patient=patient)
    appointment = AppointmentFactory(
        ocrevus_maintenance=True, chair=center[0], premed_start=local(timezone.localdate(), 9), plan=plan
    )
    pages = {
        nurse: [
            reverse("scheduling:board"),
            appointment.get_absolute_url(),
            reverse("patients:screening-create", args=[patient.pk]),
        ],
        scheduler: [
            reverse("scheduling:week"),
            reverse("scheduling:worklist"),
            reverse("patients:patient-list"),
            patient.get_absolute_url(),
            reverse("patients:patient-create"),
            reverse("scheduling:plan-find", args=[plan.pk]),
            reverse("scheduling:plan-create", args=[patient.pk]),
            reverse("scheduling:appointment-cancel", args=[appointment.pk]),
        ],
        manager: [
            reverse("scheduling:reports"),
            reverse("scheduling:chair-list"),
            reverse("scheduling:closure-create"),
        ],
    }
    for user, urls in pages.items():
        client.force_login(user)
        for url in urls:
            html = client.get(
                url, {"day": (timezone.localdate() + datetime.timedelta(days=0)).isoformat()}
            ).content.decode()
            assert not INLINE_SCRIPT.search(html), url
            assert not INLINE_STYLE.search(html), url
            assert not EVENT_HANDLER.search(html), url
    client.logout()
    html = client.get(reverse("login")).content.decode()
    assert not INLINE_SCRIPT.search(html) and not INLINE_STYLE.search(html)
