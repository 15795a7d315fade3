"""'I'm fine' / 'I have symptoms' after a visit, the nurses' follow-up queue and its outcomes."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from patients.models import PatientAccess
from replies import links
from replies.models import AfterVisitAnswer, SymptomOption
from replies.selectors import follow_up_queue
from replies.services.after_visit import follow_up_close, patient_symptoms
from scheduling.models import InfusionReaction
from scheduling.selectors.plan_state import plan_state
from tests.clock import local
from tests.factories import PatientFactory, UserFactory
from tests.replies.conftest import MON, book, visit_done

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("drugs_outside_the_pharmacy")]


def symptoms_path(appointment):
    return reverse("replies:patient-link-symptoms", args=[links.make_token(links.AFTER, appointment.uid)])


def fine_path(appointment):
    return reverse("replies:patient-link-fine", args=[links.make_token(links.AFTER, appointment.uid)])


def test_every_drug_has_a_seeded_symptom_list_with_urgent_signs():
    from scheduling.models import Drug

    for drug in Drug.objects.all():
        options = list(SymptomOption.objects.filter(drug=drug))
        assert any(o.urgent for o in options) and any(not o.urgent for o in options), drug.name
    lemtrada = SymptomOption.objects.filter(drug__name="Lemtrada", urgent=True).values_list("label", flat=True)
    assert "Sudden numbness or weakness, especially on one side" in lemtrada


def test_the_symptom_page_shows_the_urgent_signs_and_emergency_number_before_anything_else(
    client, clock, center, nurse
):
    done = visit_done(book(center[0], local(MON, 9)), clock, nurse)
    page = client.get(symptoms_path(done)).content.decode()
    main = page[page.index("<main") :]
    urgent = main.index('data-testid="urgent-signs"')
    assert urgent < main.index("<form") and urgent < main.index("Tell us what you notice")
    assert main.index("<h1") > urgent  # the first heading on the page is the urgent one
    assert 'Call <a href="tel:911">911</a> now if you have:' in page
    assert "Swelling of the face, lips, tongue or throat" in page[: page.index("<form")]
    assert "+1 555 010 2999" in page  # the after-hours line
    assert "Tysabri" not in page and "<script" not in page and "style=" not in page


def test_an_urgent_sign_goes_first_in_the_queue_and_tells_the_patient_to_call_now(client, clock, center, nurse):
    first = book(center[0], local(MON, 9), patient=PatientFactory(last_name="Early"))
    second = book(center[1], local(MON, 13), patient=PatientFactory(last_name="Urgent"))
    first, second = visit_done(first, clock, nurse), visit_done(second, clock, nurse)
    mild = first.phase.drug.symptom_options.filter(urgent=False).first()
    breath = first.phase.drug.symptom_options.get(label="Shortness of breath or wheezing")
    client.post(symptoms_path(first), {"symptoms": [mild.pk], "started": "few_hours", "callback_phone": "555 0101"})
    clock.shift(datetime.timedelta(minutes=10))
    response = client.post(
        symptoms_path(second), {"symptoms": [breath.pk], "started": "last_hour", "callback_phone": "555 0202"}
    )
    assert b"call 911 now" in response.content
    queue = follow_up_queue()
    assert [item.appointment for item in queue] == [second, first]
    assert [item.kind for item in queue] == ["urgent", "symptoms"]


def test_the_form_needs_a_symptom_and_a_phone_number(client, clock, center, nurse):
    done = visit_done(book(center[0], local(MON, 9)), clock, nurse)
    response = client.post(symptoms_path(done), {"started": "few_hours", "callback_phone": ""})
    assert response.status_code == 400
    assert b"Tick at least one symptom" in response.content and b"Give a phone number" in response.content
    assert not AfterVisitAnswer.objects.exists()


def test_an_option_of_another_drug_is_ignored(clock, center, nurse):
    done = visit_done(book(center[0], local(MON, 9)), clock, nurse)
    other = SymptomOption.objects.filter(drug__name="Lemtrada", urgent=True).first()
    report = patient_symptoms(
        appointment=done, symptom_ids=[other.pk], other="rash", started="few_hours", callback_phone="555"
    )
    assert list(report.symptoms.all()) == [] and not report.urgent


def test_no_answer_by_the_end_of_the_window_puts_the_patient_up_for_a_call(clock, center, nurse):
    silent_patient = PatientFactory(last_name="Silent")
    tysabri = book(center[0], local(MON, 9), patient=silent_patient)  # a 24 h window
    answered = book(center[1], local(MON, 9, 30))
    tysabri, answered = visit_done(tysabri, clock, nurse), visit_done(answered, clock, nurse)
    from replies.services.after_visit import patient_fine

    patient_fine(appointment=answered)
    clock.move_to(tysabri.discharged_at + datetime.timedelta(hours=23))
    assert follow_up_queue() == []
    clock.move_to(tysabri.discharged_at + datetime.timedelta(hours=24, minutes=1))
    queue = follow_up_queue()
    assert [(item.appointment, item.kind, item.window_hours) for item in queue] == [(tysabri, "no_answer", 24)]


def test_lemtradas_window_is_48_hours(clock, center, nurse, settings):
    from scheduling.models import Drug

    Drug.objects.filter(name="Tysabri").update(reaction_window_hours=48)  # the window comes from the drug's data
    done = visit_done(book(center[0], local(MON, 9)), clock, nurse)
    clock.move_to(done.discharged_at + datetime.timedelta(hours=30))
    assert follow_up_queue() == []
    clock.move_to(done.discharged_at + datetime.timedelta(hours=48, minutes=1))
    assert [item.window_hours for item in follow_up_queue()] == [48]


def test_queue_order_urgent_then_symptoms_oldest_first_then_no_answer(clock, center, nurse):
    booked = [book(center[0], local(MON, 8)), book(center[1], local(MON, 9)), book(center[2], local(MON, 10))]
    booked.append(book(center[0], local(MON, 12)))
    silent, a, b, c = (visit_done(appointment, clock, nurse) for appointment in booked)
    options = {o.urgent: o for o in a.phase.drug.symptom_options.all()}
    clock.move_to(c.discharged_at + datetime.timedelta(hours=1))
    patient_symptoms(appointment=b, symptom_ids=[options[False].pk], other="", started="", callback_phone="1")
    clock.shift(datetime.timedelta(minutes=5))
    patient_symptoms(appointment=a, symptom_ids=[options[False].pk], other="", started="", callback_phone="1")
    clock.shift(datetime.timedelta(minutes=5))
    patient_symptoms(appointment=c, symptom_ids=[options[True].pk], other="", started="", callback_phone="1")
    clock.move_to(silent.discharged_at + datetime.timedelta(hours=25))
    assert [(i.appointment, i.kind) for i in follow_up_queue()] == [
        (c, "urgent"),
        (b, "symptoms"),
        (a, "symptoms"),
        (silent, "no_answer"),
    ]


def test_a_nurse_records_a_reaction_which_feeds_the_eligibility_rules(client, clock, center, nurse):
    done = visit_done(book(center[0], local(MON, 9), patient=PatientFactory(last_name="Reacting")), clock, nurse)
    breath = done.phase.drug.symptom_options.get(label="Shortness of breath or wheezing")
    client.post(symptoms_path(done), {"symptoms": [breath.pk], "started": "last_hour", "callback_phone": "555 3030"})
    report = AfterVisitAnswer.objects.get()
    client.force_login(nurse)
    page = client.get(reverse("replies:follow-up")).content.decode()
    assert "Reacting" in page and "Call back: 555 3030" in page and "Urgent sign" in page and "24 h" in page
    assert 'data-testid="nav-follow-up-count">1<' in page
    assert PatientAccess.objects.filter(patient=done.patient, user=nurse, view_name="replies:follow-up").exists()
    prefix = f"fu-{done.pk}"
    response = client.post(
        reverse("replies:follow-up-close", args=[done.pk]),
        {"report": report.pk, f"{prefix}-outcome": "reaction", f"{prefix}-severity": "severe", f"{prefix}-note": "ER"},
        follow=True,
    )
    assert b"The reaction is recorded on the visit" in response.content
    reaction = InfusionReaction.objects.get()
    assert reaction.appointment == done and reaction.severity == "severe" and reaction.recorded_by == nurse
    assert "Shortness of breath" in reaction.symptoms and reaction.action_taken == "ER"
    report.refresh_from_db()
    assert report.closed_by == nurse and report.reaction == reaction and report.outcome == "reaction"
    assert plan_state(done.plan).prior_serious_reaction  # no shortened infusion from now on
    assert follow_up_queue() == []
    assert 'data-testid="nav-follow-up-count"' not in client.get(reverse("replies:follow-up")).content.decode()


def test_closing_twice_is_refused_and_a_reaction_needs_a_severity(clock, center, nurse):
    from replies.services.confirm import ReplyError

    done = visit_done(book(center[0], local(MON, 9)), clock, nurse)
    option = done.phase.drug.symptom_options.first()
    report = patient_symptoms(appointment=done, symptom_ids=[option.pk], other="", started="", callback_phone="1")
    with pytest.raises(ReplyError, match="severity"):
        follow_up_close(appointment=done, report=report, outcome="reaction", note="", user=nurse)
    follow_up_close(appointment=done, report=report, outcome="advised", note="rest", user=nurse)
    with pytest.raises(ReplyError, match="already closed"):
        follow_up_close(appointment=done, report=report, outcome="called", note="", user=nurse)
    assert not InfusionReaction.objects.exists()


def test_a_no_answer_call_is_closed_with_its_outcome(clock, center, nurse):
    done = visit_done(book(center[0], local(MON, 9)), clock, nurse)
    clock.move_to(done.discharged_at + datetime.timedelta(hours=25))
    follow_up_close(appointment=done, outcome="called", note="feels fine", user=nurse)
    closed = AfterVisitAnswer.objects.get()
    assert closed.answer == "no_answer" and closed.outcome == "called" and closed.closed_by == nurse
    assert follow_up_queue() == []


def test_im_fine_is_recorded_and_nothing_is_answerable_before_the_visit(client, clock, center, nurse):
    booked = book(center[0], local(MON, 9))
    assert b"nothing to answer yet" in client.post(fine_path(booked)).content
    assert not AfterVisitAnswer.objects.exists()
    done = visit_done(booked, clock, nurse)
    assert b"glad to hear it" in client.post(fine_path(done)).content
    assert AfterVisitAnswer.objects.get().answer == "fine"


def test_the_follow_up_queue_is_for_nurses(client, clock, center, scheduler):
    client.force_login(scheduler)
    assert client.get(reverse("replies:follow-up")).status_code == 403
    client.force_login(UserFactory())
    assert client.get(reverse("replies:follow-up")).status_code == 403


def test_a_silent_visit_leaves_the_call_list_three_days_after_its_window(clock, center, nurse):
    done = visit_done(book(center[0], local(MON, 9)), clock, nurse)
    clock.move_to(done.discharged_at + datetime.timedelta(hours=24 + 71))
    assert [item.kind for item in follow_up_queue()] == ["no_answer"]
    clock.move_to(done.discharged_at + datetime.timedelta(hours=24 + 73))
    assert follow_up_queue() == []


def test_a_called_patient_without_an_answer_can_be_recorded_as_a_reaction_from_the_note(clock, center, nurse):
    from replies.services.confirm import ReplyError

    done = visit_done(book(center[0], local(MON, 9)), clock, nurse)
    clock.move_to(done.discharged_at + datetime.timedelta(hours=25))
    with pytest.raises(ReplyError, match="in the note"):
        follow_up_close(appointment=done, outcome="reaction", severity="mild", note="", user=nurse)
    follow_up_close(appointment=done, outcome="reaction", severity="mild", note="Hives last evening", user=nurse)
    assert InfusionReaction.objects.get().symptoms == "Hives last evening"
