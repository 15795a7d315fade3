"""HL7 v2 SIU out: one message per change, in order, over MLLP to a real listener; outages delay, AE/AR shown."""

from __future__ import annotations

import datetime
import socket

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.hl7.services import siu_deliver_pending, siu_resend
from integrations.models import SiuMessage
from integrations.tasks import siu_deliver
from scheduling.models import Appointment
from scheduling.services.booking import appointment_cancel
from scheduling.services.visits import appointment_no_show
from tests.clock import local
from tests.factories import UserFactory
from tests.integrations.mllp_listener import MllpListener
from tests.reminders.conftest import make_appointment, reschedule

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def siu_on(settings):
    settings.HL7_SIU_ENABLED = True
    settings.HL7_SIU_HOST = "127.0.0.1"
    settings.HL7_SIU_TIMEOUT_SECONDS = 2
    return settings


def test_off_by_default_nothing_is_written():
    make_appointment(premed_start=local(3, 9))
    assert not SiuMessage.objects.exists()


def test_every_change_sends_one_message_in_order(midday, siu_on):
    user = UserFactory()
    with MllpListener() as ehr:
        siu_on.HL7_SIU_PORT = ehr.port
        booked = make_appointment(premed_start=local(3, 9))
        reschedule(booked, premed_start=local(4, 9))
        booked.refresh_from_db()
        booked.dose_mg += 1
        booked.save()
        appointment_cancel(appointment=booked, reason="Patient unwell", user=user)
        past = make_appointment(premed_start=timezone.now() - datetime.timedelta(hours=2))
        appointment_no_show(appointment=past, user=user)
        assert siu_deliver.apply().get() == 6
    assert ehr.events() == [
        "SIU^S12^SIU_S12",
        "SIU^S13^SIU_S13",
        "SIU^S14^SIU_S14",
        "SIU^S15^SIU_S15",
        "SIU^S12^SIU_S12",
        "SIU^S26^SIU_S26",
    ]
    first = ehr.received[0].split("\r")
    sch = next(s for s in first if s.startswith("SCH|")).split("|")
    assert sch[2].split("^")[0] == str(booked.uid)  # the filler appointment id, the same in every message
    assert all(str(booked.uid) in m for m in ehr.received[:4])
    assert any(s.startswith(f"PID|||{booked.patient.mrn}^") for s in first)
    assert set(SiuMessage.objects.values_list("status", "ack_code")) == {("sent", "AA")}


def test_an_outage_delays_but_loses_nothing(siu_on):
    siu_on.HL7_SIU_PORT = free_port()  # nobody listens
    appointment = make_appointment(premed_start=local(3, 9))
    reschedule(appointment, premed_start=local(5, 9))
    answered, retry_in = siu_deliver_pending()
    assert answered == 0 and retry_in == siu_on.HL7_SIU_RETRY_BASE_SECONDS
    first = SiuMessage.objects.order_by("id").first()
    assert first.status == "pending" and first.attempts == 1 and "Connection" in first.last_error
    # a second try before the backoff is over does not send
    assert siu_deliver_pending()[0] == 0
    with MllpListener() as ehr:
        siu_on.HL7_SIU_PORT = ehr.port
        answered, retry_in = siu_deliver_pending(now=timezone.now() + datetime.timedelta(hours=1))
    assert (answered, retry_in) == (2, None)
    assert ehr.events() == ["SIU^S12^SIU_S12", "SIU^S13^SIU_S13"]


@pytest.mark.parametrize("code", ["AE", "AR"])
def test_an_error_ack_is_kept_and_shown_to_staff(siu_on, client, code):
    with MllpListener(ack_code=code) as ehr:
        ehr.ack_text = "Unknown patient"
        siu_on.HL7_SIU_PORT = ehr.port
        appointment = make_appointment(premed_start=local(3, 9))
        siu_deliver_pending()
    message = SiuMessage.objects.get()
    assert (message.status, message.ack_code) == ("rejected", code)
    assert message.last_error == f"The EHR answered {code}: Unknown patient"
    from infusion_center import roles
    from tests.factories import staff

    client.force_login(staff(roles.MANAGER, "max"))
    page = client.get(reverse("integrations:siu-outbox"))
    assert page.status_code == 200
    assert f"The EHR answered {code}: Unknown patient" in page.content.decode()
    assert appointment.patient.full_name in page.content.decode()

    with MllpListener() as ehr:
        siu_on.HL7_SIU_PORT = ehr.port
        copy = siu_resend(message=message)
        siu_deliver_pending()
    copy.refresh_from_db()
    assert copy.status == "sent" and len(ehr.received) == 1


def test_visit_steps_and_attention_flags_send_nothing(siu_on):
    appointment = make_appointment(premed_start=local(3, 9))
    appointment.attention_reason = "Needs a look"
    appointment.save()
    appointment.status = Appointment.Status.CHECKED_IN
    appointment.save()
    assert list(SiuMessage.objects.values_list("event", flat=True)) == ["S12"]


def test_a_message_that_cannot_be_built_never_stops_the_booking(siu_on, monkeypatch):
    from integrations.hl7 import services

    def broken(*args, **kwargs):
        raise ValueError("no such field")

    monkeypatch.setattr(services, "siu_message", broken)
    appointment = make_appointment(premed_start=local(3, 9))
    assert Appointment.objects.filter(pk=appointment.pk).exists()
    message = SiuMessage.objects.get()
    assert message.status == "rejected" and "could not be built: no such field" in message.last_error
    with pytest.raises(services.SiuError):
        siu_resend(message=message)
