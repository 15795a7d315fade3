"""The demo center's infusion day: authorisations to chase, the pharmacy queue in several states, waste."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from authorisations.models import Authorisation
from authorisations.selectors import expiring_authorisations, uncovered_doses
from daylist.models import ChairAssignment
from pharmacy.models import Preparation
from pharmacy.selectors import preparation_queue, waste_report
from scheduling.models import Appointment
from tests.clock import local
from tests.foundation.test_demo_center import run_demo

pytestmark = pytest.mark.django_db


def test_the_demo_day_has_authorisations_a_queue_and_waste(settings, tmp_path):
    """At mid-morning (as the demo's visit test): done, running and later visits, so every state shows."""
    settings.VAR_DIR = tmp_path
    with time_machine.travel(local(datetime.date(2027, 3, 3), 11, 30), tick=False):
        run_demo()
        today = timezone.localdate()
        assert Authorisation.objects.count() >= 20
        expiring = list(expiring_authorisations())
        assert any(not a.renewed for a in expiring) and any(a.renewed for a in expiring)
        problems = [d.problem for d in uncovered_doses()]
        assert any("none is recorded" in p for p in problems)
        assert len(problems) < Appointment.objects.filter(premed_start__date__gte=today).count() / 3

        queue = preparation_queue()
        states = {row.status for row in queue}
        assert {Preparation.Status.GIVEN, Preparation.Status.TO_PREPARE} <= states
        assert states & {Preparation.Status.READY, Preparation.Status.IN_PREPARATION, Preparation.Status.RELEASED}
        # the demo's states follow the rules: given doses were infused, made ones are for arrived or cheap doses
        for row in queue:
            if row.status == Preparation.Status.GIVEN:
                assert row.appointment.status in Appointment.GIVEN_STATUSES
            if row.status in Preparation.OPEN_STATUSES and row.appointment.phase.drug.mix_after_check_in:
                assert row.appointment.status in (Appointment.Status.CHECKED_IN, Appointment.Status.PREMEDICATED)
        for appointment in Appointment.objects.filter(
            status__in=Appointment.GIVEN_STATUSES, premed_start__date=today, phase__drug__pharmacy_prepared=True
        ):
            assert appointment.preparations.filter(status=Preparation.Status.GIVEN).exists()

        wasted = waste_report(month=today) + waste_report(month=(today.replace(day=1) - datetime.timedelta(days=1)))
        assert sum(line.doses for line in wasted) >= 3
        assert ChairAssignment.objects.filter(date=today, nurse__username="demo-nurse").count() == 6
