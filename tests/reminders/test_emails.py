"""The content of each reminder email, for each drug: what the patient needs, and no diagnosis or drug in subjects."""

import datetime
import email
import re
import uuid

import pytest
from django.conf import settings
from django.utils import timezone
from icalendar import Calendar

from scheduling.models import Appointment, Drug, Reminder
from scheduling.reminders.emails import reminder_message
from tests.clock import local
from tests.reminders.conftest import ALL_DRUGS, book, discharge

pytestmark = pytest.mark.django_db

KIND = Reminder.Kind


def messages_for(appointment):
    return {r.kind: reminder_message(r) for r in appointment.reminders.all()}


def texts(message):
    html = next(content for content, mime in message.alternatives if mime == "text/html")
    return message.body, html


def forbidden_words(drug: Drug) -> list[str]:
    words = {drug.name, drug.brand_name, drug.generic_name, drug.name.split(" (")[0]}
    if "generic" in drug.brand_name.lower():
        words.discard(drug.brand_name)
        words.add("Novantrone")
    return sorted(w for w in words if w)


def all_kinds(drug_name, **patient):
    from tests.factories import PatientFactory

    appointment = book(premed_start=local(10, 9), drug_name=drug_name, patient=PatientFactory(**patient))
    discharge(appointment, at=appointment.observation_end)
    return appointment, messages_for(appointment)


@pytest.mark.parametrize("drug_name", ALL_DRUGS)
def test_subjects_never_name_the_drug_or_the_diagnosis_and_bodies_never_name_the_diagnosis(drug_name):
    appointment, messages = all_kinds(drug_name)
    drug = appointment.phase.drug
    assert set(messages) == {
        KIND.CONFIRMATION,
        KIND.PREPARATION,
        KIND.HYDRATION,
        KIND.REACTION_MONITORING,
        KIND.CHECK_IN,
    }
    for kind, message in messages.items():
        for word in forbidden_words(drug):
            assert word.lower() not in message.subject.lower(), (kind, word)
        assert settings.CENTER_NAME in message.subject
        text, html = texts(message)
        for part in (message.subject, text, html):
            assert "sclerosis" not in part.lower(), kind
            assert not re.search(r"\bMS\b", part), kind
            assert "RRMS" not in part
        assert appointment.patient.first_name in text and appointment.patient.first_name in html
        without_links = re.sub(r"https?://\S+", "", text + html)  # signed tokens are random text
        assert appointment.patient.last_name not in without_links + message.subject
        assert "/reminders/unsubscribe/" in text and "/reminders/unsubscribe/" in html
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_confirmation_has_arrival_start_total_time_address_phone_what_to_bring_and_a_ride_home():
    appointment, messages = all_kinds("Ocrevus (IV)")
    text, html = texts(messages[KIND.CONFIRMATION])
    local = timezone.localtime(appointment.premed_start)
    # Ocrevus infusion 1: premedication lead 60 min + 150 min infusion + 60 min observation = 4 h 30 min.
    for needle in (
        f"{local:%A} {local.day} {local:%B %Y}",
        "Please arrive at: 08:45 (to check in)",
        "Your first medicines: 09:00",
        "starts at: 10:00",
        "about 4 hours 30 minutes in the chair, until about 13:30",
        "200 Harbor Street, Suite 4, Springfield",
        "+1 555 010 2000",
        "sleeves that roll up",
        "a list of all the medicines you take",
        "your written order if you have one",
        "a pillow, and a water bottle",
        "Arrange a ride home",
        "your Ocrevus infusion",
    ):
        assert needle in text, needle
    assert "4 hours 30 minutes" in html and "Arrange a ride home" in html


def test_preparation_lists_the_premedication_and_what_to_tell_and_bring():
    _, messages = all_kinds("Ocrevus (IV)")
    text, html = texts(messages[KIND.PREPARATION])
    assert "Methylprednisolone (or equivalent steroid) 100 mg, through the drip, about 30 minutes before" in text
    assert "An allergy medicine (for example diphenhydramine), as tablets or through the drip" in text
    assert (
        "A fever and pain reliever (for example acetaminophen), as tablets, if your nurse thinks it will help" in text
    )
    for needle in ("a fever, or any infection", "new symptoms", "new medicine", "emergency contacts", "past infusion"):
        assert needle in text and needle in html
    assert "and of your allergies" in text
    for pharmacology in ("Antipyretic", "antipyretic", "IV/PO", "(IV)", "(PO)", "Antihistamine"):
        assert pharmacology not in text + html, pharmacology


def test_lemtrada_preparation_names_the_steroid_on_course_days_1_to_3_only():
    course = uuid.uuid4()
    from tests.factories import PatientFactory

    patient = PatientFactory()
    first = book(premed_start=local(10, 9), drug_name="Lemtrada", patient=patient, course_id=course, course_day=1)
    fourth = book(premed_start=local(13, 9), drug_name="Lemtrada", course_day=4, course_id=uuid.uuid4())
    text_first, _ = texts(reminder_message(first.reminders.get(kind=KIND.PREPARATION)))
    text_fourth, _ = texts(reminder_message(fourth.reminders.get(kind=KIND.PREPARATION)))
    assert "Methylprednisolone 1,000 mg, through the drip, about 60 minutes before" in text_first
    assert "Methylprednisolone" not in text_fourth


def test_tysabri_has_no_premedication_section():
    _, messages = all_kinds("Tysabri")
    text, _ = texts(messages[KIND.PREPARATION])
    assert "Medicines before your infusion" not in text
    assert "about 2 hours in the chair" in texts(messages[KIND.CONFIRMATION])[0]


def test_subcutaneous_drug_is_called_an_injection():
    _, messages = all_kinds("Ocrevus Zunovo (SC)")
    text, _ = texts(messages[KIND.CONFIRMATION])
    assert "your Ocrevus Zunovo injection" in text and "The injection starts at" in text


def test_reaction_monitoring_anti_cd20_is_24_hours_without_stroke_signs():
    appointment, messages = all_kinds("Ocrevus (IV)")
    text, html = texts(messages[KIND.REACTION_MONITORING])
    assert "for 24 hours, until about 13:30 on" in text
    assert "Stroke warning signs" not in text + html
    assert "Call 911 straight away" in text and "swelling of the face, lips, tongue or throat" in text
    assert "Call us if you notice any of these (office hours +1 555 010 2000; evenings, nights and weekends" in text


def test_reaction_monitoring_lemtrada_is_48_hours_with_stroke_signs_through_day_3():
    appointment, messages = all_kinds("Lemtrada")
    text, html = texts(messages[KIND.REACTION_MONITORING])
    discharged = timezone.localtime(appointment.discharged_at)
    until = discharged + datetime.timedelta(days=3)
    assert "for 48 hours" in text
    assert f"Stroke warning signs: until the end of {until:%A} {until.day} {until:%B %Y}" in text
    assert "one side of the body" in text and "one side of the body" in html
    check_in_text, _ = texts(messages[KIND.CHECK_IN])
    assert "numbness or weakness on one side" in check_in_text


def test_hydration_advice_and_the_fluid_restriction_variant():
    _, normal = all_kinds("Ocrevus (IV)")
    _, restricted = all_kinds("Ocrevus (IV)", fluid_restriction=True)
    normal_text, _ = texts(normal[KIND.HYDRATION])
    restricted_text, restricted_html = texts(restricted[KIND.HYDRATION])
    assert "Drink plenty of water today" in normal_text
    assert "Eat a good meal" in normal_text and "Please arrive at 08:45" in normal_text
    assert "fluid restriction" in restricted_text and "ask your clinician how much" in restricted_text
    assert "Drink plenty of water today" not in restricted_text
    assert "ask your clinician how much" in restricted_html
    assert "ask your clinician how much" in texts(restricted[KIND.CONFIRMATION])[0]


def test_hydration_sent_the_day_before_says_tomorrow(time_machine):
    appointment, _ = all_kinds("Tysabri")
    hydration = appointment.reminders.get(kind=KIND.HYDRATION)
    time_machine.move_to(hydration.due_at)
    message = reminder_message(hydration)
    assert message.subject.startswith("See you tomorrow at") and message.subject.endswith(", 08:45")
    assert "is tomorrow, " in message.body


def test_hydration_for_a_course_mentions_each_day():
    from tests.factories import PatientFactory

    patient, course = PatientFactory(), uuid.uuid4()
    first = book(premed_start=local(10, 9), drug_name="Lemtrada", patient=patient, course_id=course, course_day=1)
    book(premed_start=local(11, 9), drug_name="Lemtrada", patient=patient, course_id=course, course_day=2)
    text, _ = texts(reminder_message(first.reminders.get(kind=KIND.HYDRATION)))
    assert "and on each day of your course" in text


def test_drug_names_can_be_turned_off_entirely(settings):
    settings.REMINDERS_INCLUDE_DRUG_NAMES = False
    appointment, messages = all_kinds("Ocrevus (IV)")
    for message in messages.values():
        text, html = texts(message)
        for word in ("Ocrevus", "ocrelizumab", "Methylprednisolone", "diphenhydramine", "acetaminophen"):
            assert word.lower() not in (text + html + message.subject).lower(), word
    prep_text, _ = texts(messages[KIND.PREPARATION])
    assert "you will be given medicines about 1 hour before the infusion starts" in prep_text


def test_confirmation_calendar_file_parses_with_the_appointments_uid_sequence_and_times():
    appointment, messages = all_kinds("Briumvi")
    raw = email.message_from_bytes(messages[KIND.CONFIRMATION].message().as_bytes())
    parts = [p for p in raw.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    assert parts[0].get_param("method") == "REQUEST"
    assert parts[0].get_filename() == "appointment.ics"
    cal = Calendar.from_ical(parts[0].get_payload(decode=True))
    assert str(cal["method"]) == "REQUEST"
    event = cal.walk("VEVENT")[0]
    assert str(event["uid"]).startswith(str(appointment.uid))
    assert int(event["sequence"]) == 0
    assert event.decoded("dtstart") == appointment.premed_start - datetime.timedelta(minutes=15)  # arrival
    assert event.decoded("dtend") == appointment.observation_end
    assert "Briumvi" not in str(event["summary"]) and "Briumvi" not in str(event["description"])
    assert str(event["location"]) == "200 Harbor Street, Suite 4, Springfield"


def test_update_and_cancellation_calendar_files_keep_the_uid_and_carry_the_sequence():
    from tests.reminders.conftest import cancel, reschedule

    appointment = book(premed_start=local(10, 9))
    Reminder.objects.filter(appointment=appointment, kind=KIND.CONFIRMATION).update(
        status=Reminder.Status.SENT, sent_at=timezone.now()
    )
    reschedule(appointment, premed_start=local(12, 11))
    update = reminder_message(appointment.reminders.get(kind=KIND.UPDATE))
    cal = Calendar.from_ical(update.attachments[0].get_payload(decode=True))
    event = cal.walk("VEVENT")[0]
    assert int(event["sequence"]) == 1 and str(event["uid"]).startswith(str(appointment.uid))
    assert event.decoded("dtstart") == appointment.premed_start - datetime.timedelta(minutes=15)
    assert "has changed" in update.subject

    cancel(appointment)
    appointment.refresh_from_db()
    cancellation = reminder_message(appointment.reminders.get(kind=KIND.CANCELLATION))
    cal = Calendar.from_ical(cancellation.attachments[0].get_payload(decode=True))
    assert str(cal["method"]) == "CANCEL"
    assert str(cal.walk("VEVENT")[0]["status"]) == "CANCELLED"
    assert str(cal.walk("VEVENT")[0]["uid"]).startswith(str(appointment.uid))
    assert cancellation.subject.startswith("Cancelled: your appointment at")


def test_a_course_is_confirmed_once_with_every_day_and_a_calendar_file_per_day():
    from tests.factories import PatientFactory

    patient = PatientFactory()
    course = uuid.uuid4()
    days = [
        book(
            premed_start=local(10 + n, 9),
            drug_name="Lemtrada",
            patient=patient,
            course_id=course,
            course_day=n + 1,
        )
        for n in range(5)
    ]
    assert [d.reminders.get(kind=KIND.CONFIRMATION).status for d in days] == ["pending"] + ["skipped"] * 4
    message = reminder_message(days[0].reminders.get(kind=KIND.CONFIRMATION))
    text, _ = texts(message)
    assert "given on 5 days in a row" in text
    assert text.count("Day ") >= 5
    uids = {str(Calendar.from_ical(a.get_payload(decode=True)).walk("VEVENT")[0]["uid"]) for a in message.attachments}
    assert len(uids) == 5
    assert Appointment.objects.filter(course_id=course).count() == 5


def test_after_visit_email_names_the_visit_day_when_it_goes_out_later():
    appointment, _ = all_kinds("Ocrevus (IV)")
    reminder = appointment.reminders.get(kind=KIND.REACTION_MONITORING)
    discharged = appointment.discharged_at
    same_day = reminder_message(reminder, now=discharged + datetime.timedelta(minutes=5))
    assert same_day.subject.endswith(" today") and "Thank you for coming in today." in same_day.body
    next_day = reminder_message(reminder, now=discharged + datetime.timedelta(days=1))
    assert next_day.subject.endswith(" yesterday") and "Thank you for coming in yesterday." in next_day.body
    later = reminder_message(reminder, now=discharged + datetime.timedelta(days=3))
    local = timezone.localtime(discharged)
    day = f"on {local:%A} {local.day} {local:%B}"
    assert later.subject.endswith(day) and f"Thank you for coming in {day}." in texts(later)[1]
