"""The integration tasks through a real Celery worker on Redis and PostgreSQL: an import queued from the page,
and SIU messages delivered to a real MLLP listener as bookings change."""

from __future__ import annotations

import os

import pytest
from django.urls import reverse

from infusion_center import roles
from integrations.models import ImportBatch, SiuMessage
from patients.models import Patient
from scheduling.services.booking import appointment_cancel
from tests.clock import local
from tests.factories import UserFactory, staff
from tests.integrations.mllp_listener import MllpListener
from tests.integrations.test_import import DOSES_CSV, PATIENTS_CSV, PLANS_CSV
from tests.reminders.conftest import make_appointment, reschedule
from tests.reminders.test_worker import wait_for, worker

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.celery,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (set REDIS_URL)"),
]


def test_an_import_queued_from_the_page_is_checked_and_imported_by_the_worker(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(staff(roles.MANAGER, "max"))
    files = {"patients": PATIENTS_CSV, "plans": PLANS_CSV, "doses": DOSES_CSV}
    data = {kind: SimpleUploadedFile(f"{kind}.csv", text.encode()) for kind, text in files.items()}
    with worker():
        client.post(reverse("integrations:import"), data)
        batch = ImportBatch.objects.get()
        assert wait_for(lambda: ImportBatch.objects.get(pk=batch.pk).status == "checked")
        assert not Patient.objects.exists()
        client.post(reverse("integrations:import-batch", args=[batch.pk]), {"action": "import"})
        assert wait_for(lambda: ImportBatch.objects.get(pk=batch.pk).status == "imported")
    assert Patient.objects.count() == 2


def test_siu_messages_reach_the_listener_through_the_worker_in_order(settings):
    settings.HL7_SIU_ENABLED = True
    settings.HL7_SIU_TIMEOUT_SECONDS = 2
    with MllpListener() as ehr, worker():
        settings.HL7_SIU_PORT = ehr.port
        appointment = make_appointment(premed_start=local(3, 9))
        reschedule(appointment, premed_start=local(4, 9))
        appointment_cancel(appointment=appointment, reason="Unwell", user=UserFactory())
        assert wait_for(lambda: len(ehr.received) == 3)
    assert ehr.events() == ["SIU^S12^SIU_S12", "SIU^S13^SIU_S13", "SIU^S15^SIU_S15"]
    assert wait_for(lambda: set(SiuMessage.objects.values_list("status", flat=True)) == {"sent"})
