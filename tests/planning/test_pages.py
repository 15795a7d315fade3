"""The forecast page and the re-optimisation flow, through the real booking service and views."""

import datetime

import pytest
import time_machine
from django.test import TestCase
from django.urls import reverse

from infusion_center import formats
from scheduling.engine import forecast as engine_forecast
from scheduling.models import Appointment, OpeningHours, ProposedMove, Reminder, ReoptimisationProposal
from scheduling.selectors import planning as planning_selectors
from scheduling.services.booking import appointment_book
from scheduling.services.reoptimise import proposal_compute, proposal_request
from scheduling.tasks import reoptimise_propose
from tests.clock import local
from tests.factories import PatientFactory, TreatmentPlanFactory, seeded_drug
from tests.planning.conftest import NOW, START

pytestmark = pytest.mark.django_db


def peak_on(day):
    starts = [
        (a.premed_start, a.observation_end)
        for a in Appointment.objects.filter(status=Appointment.Status.SCHEDULED)
        if a.local_date == day
    ]
    return max((sum(1 for s, e in starts if s <= t < e) for t, _ in starts), default=0)


class TestForecastPage:
    def test_the_manager_sees_the_stored_forecast_and_its_time(
        self, client, manager, forecast_stored, no_forecast_in_requests
    ):
        client.force_login(manager)
        page = client.get(reverse("scheduling:planning-forecast"))
        html = page.content.decode()
        assert page.status_code == 200
        assert f"Forecast as of {formats.time(forecast_stored.computed_at)} ·" in html
        assert "<svg" in html and 'class="capacity"' in html and "style=" not in html.split("<main")[-1]
        assert "Week of 14 Dec" in html  # the chart's title text per week
        assert "Tysabri" in html  # the week's doses by drug
        assert "Mon 11 Jan 2027" in html  # the maintenance doses four weeks on are forecast too
        assert "being worked out" not in html

    def test_without_a_stored_forecast_the_page_says_so_and_queues_it(self, client, manager, crowded, queued):
        client.force_login(manager)
        page = client.get(reverse("scheduling:planning-forecast"))
        html = page.content.decode()
        assert page.status_code == 200
        assert "The forecast is being worked out; refresh in a minute." in html
        assert "<svg" not in html and "Forecast as of" not in html
        assert len(queued) == 1

    def test_what_if_is_worked_out_against_the_stored_forecast_without_saving(
        self, client, manager, forecast_stored, monkeypatch
    ):
        def refused(*args, **kwargs):
            raise AssertionError("the what-if planned the coming weeks' holds or read the doses again")

        monkeypatch.setattr(engine_forecast, "plan_holds", refused)  # only slot search needs them: the slow part
        # the stored forecast's demand per day is restaffed: no plan's dose history is read in the request
        monkeypatch.setattr(planning_selectors, "doses_due", refused)
        client.force_login(manager)
        before = list(OpeningHours.objects.values_list("nurses_on_duty", flat=True))
        what_if = client.get(reverse("scheduling:planning-forecast"), {"weekday": 0, "nurses": -3})
        assert what_if.status_code == 200
        html = what_if.content.decode()
        assert "What if: -3 nurses on Mondays" in html
        assert "Days over capacity: 0 as staffed, 7 with the change." in html  # Mondays with doses, no nurse
        assert "Forecast as of" not in html  # worked out now, for the change
        assert "Slot search plans for at most <strong>1 patient in chairs" in html  # the stored ceiling
        assert list(OpeningHours.objects.values_list("nurses_on_duty", flat=True)) == before

    def test_the_stored_page_is_read_once_per_process_and_a_newer_one_at_once(self, client, manager, forecast_stored):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from scheduling.models import PlanningSnapshot
        from scheduling.services.planning_refresh import forecast_refresh

        client.force_login(manager)
        client.get(reverse("scheduling:planning-forecast"))
        with CaptureQueriesContext(connection) as ctx:
            again = client.get(reverse("scheduling:planning-forecast")).content.decode()
        assert f"Forecast as of {formats.time(forecast_stored.computed_at)} ·" in again
        reads = [q["sql"] for q in ctx.captured_queries if PlanningSnapshot._meta.db_table in q["sql"]]
        assert len(reads) == 1 and '"summary"' not in reads[0]  # the newest snapshot's id and time only
        with time_machine.travel(NOW + datetime.timedelta(minutes=10), tick=False):
            newer = forecast_refresh()
            html = client.get(reverse("scheduling:planning-forecast")).content.decode()
        assert newer.pk != forecast_stored.pk
        assert f"Forecast as of {formats.time(newer.computed_at)} ·" in html

    def test_a_stored_forecast_from_yesterday_is_not_shown(self, client, manager, forecast_stored, queued):
        with time_machine.travel(NOW + datetime.timedelta(days=1), tick=False):
            client.force_login(manager)
            html = client.get(reverse("scheduling:planning-forecast")).content.decode()
        assert "being worked out" in html and "Forecast as of" not in html
        assert len(queued) == 1

    def test_bad_what_if_is_an_error_in_words(self, client, manager, forecast_stored):
        client.force_login(manager)
        page = client.get(reverse("scheduling:planning-forecast"), {"nurses": 2})
        assert page.status_code == 400
        assert "Choose the weekday the nurses change on." in page.content.decode()

    def test_only_report_readers_see_it(self, client, scheduler, crowded):
        client.force_login(scheduler)
        assert client.get(reverse("scheduling:planning-forecast")).status_code == 403


class TestReoptimisation:
    def test_a_proposal_lowers_the_peak_and_an_accepted_move_is_a_normal_reschedule(self, client, scheduler, crowded):
        chairs, booked = crowded
        assert peak_on(START) == 3
        proposal = proposal_request(user=scheduler, enqueue=False)
        reoptimise_propose.apply(args=(proposal.pk,))  # the Celery task, run in this process
        proposal.refresh_from_db()
        assert proposal.status == ReoptimisationProposal.Status.READY
        assert (proposal.peak_before, proposal.peak_after) == (3, 1)
        moves = list(proposal.moves.all())
        assert len(moves) == 2
        # nothing has moved yet
        assert all(a.premed_start == local(START, 9) for a in Appointment.objects.all())
        client.force_login(scheduler)
        page = client.get(reverse("scheduling:planning-proposals")).content.decode()
        assert "3 → 1" in page and "Accept all 2" in page
        # the patients were told of their bookings: a move sends them an update
        Reminder.objects.filter(kind=Reminder.Kind.CONFIRMATION).update(status=Reminder.Status.SENT)
        first = moves[0]
        response = client.post(reverse("scheduling:planning-proposal-accept", args=[proposal.pk]), {"move": first.pk})
        assert response.status_code == 302
        first.refresh_from_db()
        assert first.status == ProposedMove.Status.ACCEPTED and first.decided_by == scheduler
        moved = Appointment.objects.get(pk=first.appointment_id)
        assert moved.premed_start == first.to_start and moved.chair_id == first.to_chair_id
        assert moved.ics_sequence == 1
        assert moved.history.first().history_change_reason.startswith("Rescheduled from")
        assert Reminder.objects.filter(appointment=moved, kind=Reminder.Kind.UPDATE).exists()
        assert moves[1].appointment.premed_start == local(START, 9)  # not accepted: not moved

    def test_a_move_that_no_longer_fits_is_refused_in_words(self, client, scheduler, crowded):
        chairs, booked = crowded
        proposal = proposal_request(user=scheduler, enqueue=False)
        proposal_compute(proposal_id=proposal.pk)
        move = proposal.moves.first()
        # another patient takes the chair and time the move would go to
        other = TreatmentPlanFactory(patient=PatientFactory(), drug=seeded_drug("Tysabri"), start_date=START)
        to_day = move.to_start.astimezone(local(START, 0).tzinfo).date()
        taker = appointment_book(plan=other, chair_id=move.to_chair_id, premed_start=move.to_start, user=scheduler)
        assert taker.local_date == to_day
        client.force_login(scheduler)
        response = client.post(
            reverse("scheduling:planning-proposal-accept", args=[proposal.pk]), {"all": "1"}, follow=True
        )
        move.refresh_from_db()
        assert move.status == ProposedMove.Status.REFUSED
        assert move.refusal.startswith("No longer fits: ") and "already booked" in move.refusal
        assert move.refusal in response.content.decode()
        assert Appointment.objects.get(pk=move.appointment_id).premed_start == local(START, 9)

    def test_a_changed_appointment_is_not_moved(self, scheduler, crowded):
        from scheduling.services.booking import appointment_cancel
        from scheduling.services.reoptimise import moves_accept

        proposal = proposal_request(user=scheduler, enqueue=False)
        proposal_compute(proposal_id=proposal.pk)
        move = proposal.moves.first()
        appointment_cancel(appointment=move.appointment, reason="Patient unwell", user=scheduler)
        (decided,) = moves_accept(proposal=proposal, move_ids=[move.pk], user=scheduler)
        assert decided.status == ProposedMove.Status.REFUSED
        assert "changed or moved after the proposal" in decided.refusal

    def test_bookings_too_close_are_left_alone(self, scheduler, crowded, settings):
        settings.REOPTIMISE_MIN_DAYS_AHEAD = 20  # the Monday is 13 days away
        proposal = proposal_request(user=scheduler, enqueue=False)
        proposal_compute(proposal_id=proposal.pk)
        proposal.refresh_from_db()
        assert proposal.movable_count == 0 and not proposal.moves.exists()

    def test_the_button_queues_the_task_and_permissions_hold(self, client, scheduler, manager, crowded, monkeypatch):
        queued = []
        monkeypatch.setattr(reoptimise_propose, "apply_async", lambda args, kwargs=None, **kw: queued.append(args))
        client.force_login(manager)
        assert client.get(reverse("scheduling:planning-proposals")).status_code == 200
        assert client.post(reverse("scheduling:planning-proposal-new")).status_code == 403
        client.force_login(scheduler)
        assert client.get(reverse("scheduling:planning-proposal-new")).status_code == 405  # a GET starts nothing
        assert not ReoptimisationProposal.objects.exists()

        with TestCase.captureOnCommitCallbacks(execute=True):
            response = client.post(reverse("scheduling:planning-proposal-new"))
        assert response.status_code == 302
        proposal = ReoptimisationProposal.objects.get()
        assert queued == [(proposal.pk,)] and proposal.requested_by == scheduler
