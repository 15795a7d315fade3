"""The app from the keyboard alone: the chair board as an ARIA grid, the day's shortcuts and their help, a whole
booking and a whole visit. No mouse: every step is a key press (page.keyboard), focus moves by Tab, the arrows
and the shortcuts; the clock is moved between the visit's steps so each step falls at its planned time."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from infusion_center import roles
from scheduling.models import Appointment, PremedicationGiven
from tests.clock import local
from tests.factories import (
    AppointmentFactory,
    PatientFactory,
    ScreeningFactory,
    TreatmentPlanFactory,
    clear_first_dose_checks,
    opening_hours,
    staff,
)
from tests.pharmacy.helpers import dose_ready
from tests.web.helpers import chairs, ocrevus_initial_doses_elsewhere

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "";
  const label = el.getAttribute("aria-label") || (el.labels && el.labels[0] && el.labels[0].innerText) || "";
  return (label || el.innerText || el.value || "").replace(/\\s+/g, " ").trim().replace(/\\s*\\*$/, "");
}"""


def focused(page) -> str:
    return page.evaluate(FOCUSED)


def tab_to(page, name: str | re.Pattern, *, backwards: bool = False, limit: int = 150) -> None:
    """Press Tab (or Shift+Tab) until the focused element's name matches."""
    pattern = name if isinstance(name, re.Pattern) else re.compile(rf"^{re.escape(name)}$")
    if pattern.search(focused(page)):
        return
    passed = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        current = focused(page)
        if pattern.search(current):
            return
        passed.append(current)
    raise AssertionError(f"no focusable element named {pattern.pattern!r}; Tab passed {passed}")


def press_and_wait(page, key: str) -> None:
    with page.expect_navigation():
        page.keyboard.press(key)
    page.wait_for_load_state()


def sign_in_by_keyboard(page, live_server, username: str, path: str = "/accounts/login/") -> None:
    page.goto(f"{live_server.url}{path}")
    if "/accounts/login/" not in page.url:
        return  # still signed in
    tab_to(page, "Username")  # where the page puts the focus
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    press_and_wait(page, "Enter")
    assert "/accounts/login/" not in page.url


def active_cell(page) -> str | None:
    return page.evaluate("() => document.activeElement.closest('[data-cell]')?.getAttribute('data-cell') || null")


@pytest.fixture
def center(transactional_db):
    opening_hours()
    return chairs(3)


def test_the_board_is_a_grid_with_one_tab_stop_arrow_keys_and_enter(page, live_server, center, shot):
    staff(roles.NURSE, "nora")
    today = timezone.localdate()
    first = AppointmentFactory(
        ocrevus_maintenance=True,
        chair=center[0],
        premed_start=local(today, 8),
        plan=TreatmentPlanFactory(patient=PatientFactory(last_name="Ames")),
    )
    second = AppointmentFactory(
        ocrevus_maintenance=True,
        chair=center[0],
        premed_start=local(today, 13),
        plan=TreatmentPlanFactory(patient=PatientFactory(last_name="Bose")),
    )
    below = AppointmentFactory(
        ocrevus_maintenance=True,
        chair=center[1],
        premed_start=local(today, 13, 30),
        plan=TreatmentPlanFactory(patient=PatientFactory(last_name="Curie")),
    )
    sign_in_by_keyboard(page, live_server, "nora")
    expect(page.get_by_role("grid", name=re.compile("Chairs and times"))).to_be_visible()
    # One tab stop: every cell but one is out of the Tab order.
    assert page.locator("[data-board-grid] [data-cell][tabindex='0']").count() == 1
    assert page.locator("[data-board-grid] [data-cell][tabindex='-1']").count() == 3 + 2 * 2 + 3 - 1

    tab_to(page, re.compile("Ames"))
    assert active_cell(page) == f"appt-{first.pk}"
    page.keyboard.press("ArrowRight")
    assert active_cell(page) == f"appt-{second.pk}"
    page.keyboard.press("ArrowRight")  # the chair's last booking: the focus stays
    assert active_cell(page) == f"appt-{second.pk}"
    page.keyboard.press("ArrowDown")  # the next chair's booking nearest in time
    assert active_cell(page) == f"appt-{below.pk}"
    page.keyboard.press("Home")
    assert active_cell(page) == f"chair-{center[1].pk}"
    page.keyboard.press("ArrowUp")
    assert active_cell(page) == f"chair-{center[0].pk}"
    page.keyboard.press("ArrowUp")
    assert active_cell(page) == "load-start"
    page.keyboard.press("Control+End")
    assert active_cell(page) == f"chair-{center[2].pk}"  # the last chair has no booking
    page.keyboard.press("Control+Home")
    assert active_cell(page) == "load-in"
    page.keyboard.press("End")
    assert active_cell(page) == "load-in-chart"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("End")
    assert active_cell(page) == f"appt-{second.pk}"
    # A visible focus: a dark outline with a light ring around the booking.
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    shot("board-focus")

    # Tab leaves the grid at once, and Shift+Tab comes back to the same cell.
    page.keyboard.press("Tab")
    assert active_cell(page) is None
    page.keyboard.press("Shift+Tab")
    assert active_cell(page) == f"appt-{second.pk}"
    # The board refreshes itself every minute: the focus stays on the same booking.
    page.evaluate(
        "() => htmx.ajax('GET', document.querySelector('#board').getAttribute('hx-get'),"
        " {target: '#board', swap: 'outerHTML'})"
    )
    page.wait_for_load_state("networkidle")
    expect(page.locator(f"[data-cell='appt-{second.pk}']")).to_be_focused()
    assert page.locator("[data-board-grid] [data-cell][tabindex='0']").count() == 1

    press_and_wait(page, "Enter")
    expect(page).to_have_url(re.compile(rf"/appointments/{second.pk}/$"))


def test_day_shortcuts_are_listed_in_a_help_dialog_and_do_nothing_while_typing(page, live_server, center, shot):
    staff(roles.SCHEDULER, "sam")
    PatientFactory(first_name="Grace", last_name="Hopper")
    today = timezone.localdate()
    sign_in_by_keyboard(page, live_server, "sam")

    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    for text in ("Previous day", "Next day", "Today", "Find a patient", "Open the booking"):
        expect(dialog).to_contain_text(text)
    shot("shortcuts-dialog")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # The same list from a visible button.
    tab_to(page, "Keyboard shortcuts")
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")

    press_and_wait(page, "]")
    expect(page).to_have_url(re.compile(rf"day={today + datetime.timedelta(days=1):%Y-%m-%d}"))
    press_and_wait(page, "]")
    press_and_wait(page, "[")
    expect(page).to_have_url(re.compile(rf"day={today + datetime.timedelta(days=1):%Y-%m-%d}"))
    press_and_wait(page, "t")
    expect(page).to_have_url(re.compile(r"/board/$"))

    # Typing in a field types; it does not change the day.
    page.keyboard.press("/")
    expect(page.get_by_label("Find a patient")).to_be_focused()
    page.keyboard.type("Hop[t]?")
    expect(page.get_by_label("Find a patient")).to_have_value("Hop[t]?")
    expect(dialog).to_be_hidden()
    assert page.url.endswith("/board/")
    page.keyboard.press("Control+a")
    page.keyboard.type("Hopper")
    press_and_wait(page, "Enter")
    expect(page.get_by_role("link", name=re.compile("Hopper, Grace"))).to_be_visible()
    assert "Hopper" not in page.url  # the search is posted, not put in the address


def test_a_whole_booking_with_the_keyboard_alone(page, live_server, center, shot):
    staff(roles.SCHEDULER, "sam")
    patient = PatientFactory(first_name="Frances", last_name="Allen")
    clear_first_dose_checks(patient, taken_on=timezone.localdate())
    TreatmentPlanFactory(patient=patient)
    sign_in_by_keyboard(page, live_server, "sam")

    page.keyboard.press("/")  # find the patient from the board
    page.keyboard.type("Allen")
    press_and_wait(page, "Enter")
    tab_to(page, "Allen, Frances")
    press_and_wait(page, "Enter")
    expect(page.get_by_role("heading", name="Frances Allen")).to_be_visible()
    tab_to(page, "Find a time")
    press_and_wait(page, "Enter")
    expect(page.get_by_role("heading", name="Best times")).to_be_visible()

    # Narrow the search to afternoons, with the arrow keys in the select.
    tab_to(page, re.compile("^Time of day"))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    chosen = page.evaluate("() => document.activeElement.value")
    assert chosen
    tab_to(page, "Search")
    press_and_wait(page, "Enter")
    expect(page.get_by_role("heading", name="Best times")).to_be_visible()

    # Choose the second offer and confirm it with Enter.
    tab_to(page, "Book this time")
    tab_to(page, "Book this time")
    offer = page.evaluate("() => document.activeElement.form.querySelector('[name=premed_start]').value")
    shot("find-a-time-focus")
    press_and_wait(page, "Enter")
    expect(page.get_by_text(re.compile(r"Booked Frances Allen in Chair"))).to_be_visible()
    appointment = Appointment.objects.get(patient=patient)
    assert appointment.premed_start == datetime.datetime.fromisoformat(offer)

    # Back on the board of that day, the new booking is reached with the arrow keys and opened with Enter.
    tab_to(page, re.compile(r"^Board for"))
    press_and_wait(page, "Enter")
    tab_to(page, re.compile(r"Allen"))
    assert active_cell(page) == f"appt-{appointment.pk}"
    press_and_wait(page, "Enter")
    expect(page).to_have_url(re.compile(rf"/appointments/{appointment.pk}/$"))


def test_a_whole_visit_with_the_keyboard_alone(page, live_server, center, shot):
    staff(roles.NURSE, "nora")
    patient = PatientFactory(first_name="Katherine", last_name="Johnson")
    clear_first_dose_checks(patient, taken_on=timezone.localdate() - datetime.timedelta(days=20))
    ScreeningFactory(patient=patient, kind="infection", valid_days=3, taken_on=timezone.localdate())
    plan = TreatmentPlanFactory(patient=patient)
    ocrevus_initial_doses_elsewhere(plan, maintenance_due=timezone.localdate())
    arrival = local(timezone.localdate(), 9)
    appointment = AppointmentFactory(ocrevus_maintenance=True, chair=center[0], premed_start=arrival, plan=plan)
    dose_ready(appointment)

    def at(moment: datetime.datetime):
        return time_machine.travel(moment, tick=True)

    with at(arrival + datetime.timedelta(minutes=1)):
        sign_in_by_keyboard(page, live_server, "nora")
        tab_to(page, re.compile("Johnson"))  # the board's single tab stop is her booking
        press_and_wait(page, "Enter")
        expect(page.get_by_role("heading", name=re.compile("Katherine Johnson"))).to_be_visible()
        tab_to(page, "Check in")
        press_and_wait(page, "Enter")
        expect(page.get_by_text("Katherine Johnson is checked in.")).to_be_visible()

        options = page.get_by_label("Premedication").locator("option").count()
        for index in range(options):
            tab_to(page, re.compile("^Premedication"))
            for _ in range(index):
                page.keyboard.press("ArrowDown")
            tab_to(page, "Record")
            press_and_wait(page, "Enter")
            expect(page.get_by_text(re.compile(r"given at \d\d:\d\d"))).to_be_visible()
        assert PremedicationGiven.objects.filter(appointment=appointment).count() == options

    visit = f"/appointments/{appointment.pk}/"
    started = arrival + datetime.timedelta(minutes=62)  # the antihistamine needs an hour before the infusion
    with at(started):
        sign_in_by_keyboard(page, live_server, "nora", visit)  # after an hour away the session has ended
        tab_to(page, "Start infusion")
        press_and_wait(page, "Enter")
        expect(page.get_by_text("The infusion has started.")).to_be_visible()

        # A reaction from the keyboard too: the disclosure opens with Enter.
        tab_to(page, "Record a reaction")
        page.keyboard.press("Enter")
        tab_to(page, re.compile("^Severity"))
        page.keyboard.press("ArrowDown")
        tab_to(page, re.compile("^Symptoms"))
        page.keyboard.type("Mild flushing")
        tab_to(page, re.compile("^Action taken"))
        page.keyboard.type("Rate slowed")
        tab_to(page, "Record reaction")
        press_and_wait(page, "Enter")
        expect(page.get_by_text(re.compile("reaction recorded"))).to_be_visible()

    ended = started + datetime.timedelta(minutes=212)  # the infusion's planned 210 minutes
    with at(ended):
        sign_in_by_keyboard(page, live_server, "nora", visit)  # after an hour away the session has ended
        tab_to(page, "End infusion")
        press_and_wait(page, "Enter")
        expect(page.get_by_text("The infusion has ended")).to_be_visible()

    with at(ended + datetime.timedelta(minutes=125)):  # past the observation, restarted by the reaction
        sign_in_by_keyboard(page, live_server, "nora", visit)  # after an hour away the session has ended
        tab_to(page, re.compile("fit for discharge"))
        page.keyboard.press("Space")
        tab_to(page, "Discharge (end of observation)")
        press_and_wait(page, "Enter")
        expect(page.get_by_text("Katherine Johnson is discharged.")).to_be_visible()
        shot("discharged")

    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.COMPLETED
    assert appointment.checked_in_at and appointment.infusion_started_at and appointment.infusion_ended_at
    assert appointment.discharged_at
