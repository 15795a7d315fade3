"""The center's one format (infusion_center/formats.py), its template filters, and the inputs that read it."""

import datetime

import pytest
from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Template

from infusion_center import formats
from infusion_center.env import env_choice
from patients.forms import DateInput
from scheduling.forms import DateTimeLocalInput, OpeningHoursForm, TimeInput

MON_7_DEC = datetime.date(2026, 12, 7)


def test_day_month_and_24_hours_by_default():
    moment = datetime.datetime(2026, 12, 7, 14, 5)
    assert formats.date(MON_7_DEC) == "7 Dec 2026"
    assert formats.day(MON_7_DEC) == "Mon 7 Dec"
    assert formats.day_year(MON_7_DEC) == "Mon 7 Dec 2026"
    assert formats.date_long(MON_7_DEC) == "Monday 7 December 2026"
    assert formats.day_long(MON_7_DEC) == "Monday 7 December"
    assert formats.time(moment) == "14:05"
    assert formats.time(datetime.time(7, 0)) == "07:00"
    assert formats.day_time(moment) == "Mon 7 Dec 14:05"
    assert formats.datetime(moment, seconds=True) == "7 Dec 2026 14:05:00"


def test_month_day_and_12_hours_when_the_center_says_so(settings):
    settings.CENTER_DATE_ORDER = formats.MONTH_DAY
    settings.CENTER_CLOCK = formats.CLOCK_12
    assert formats.date(MON_7_DEC) == "Dec 7, 2026"
    assert formats.day_year(MON_7_DEC) == "Mon, Dec 7, 2026"
    assert formats.date_long(MON_7_DEC) == "Monday, December 7, 2026"
    assert formats.time(datetime.time(14, 5)) == "2:05 PM"
    assert formats.time(datetime.time(0, 30)) == "12:30 AM"
    assert formats.date_range(MON_7_DEC, datetime.date(2026, 12, 9)) == "Dec 7–9, 2026"


@pytest.mark.parametrize(
    ("first", "last", "text"),
    [
        ((2026, 12, 22), (2026, 12, 22), "22 Dec 2026"),
        ((2026, 12, 7), (2026, 12, 9), "7–9 Dec 2026"),
        ((2026, 11, 30), (2026, 12, 2), "30 Nov – 2 Dec 2026"),
        ((2026, 12, 30), (2027, 1, 2), "30 Dec 2026 – 2 Jan 2027"),
    ],
)
def test_a_date_range_says_a_day_once_and_shares_its_month_and_year(first, last, text):
    assert formats.date_range(datetime.date(*first), datetime.date(*last)) == text


def test_aware_datetimes_are_shown_in_the_centers_time_zone():
    utc = datetime.datetime(2026, 12, 7, 12, 0, tzinfo=datetime.UTC)  # 07:00 in New York
    assert formats.time(utc) == "07:00"
    assert formats.date_range(utc, utc + datetime.timedelta(hours=1)) == "7 Dec 2026"


@pytest.mark.parametrize(
    ("minutes", "text"), [(0, "0 min"), (45, "45 min"), (60, "1 h"), (90, "1 h 30 min"), (1500, "1 day 1 h")]
)
def test_durations(minutes, text):
    assert formats.duration(minutes) == text


@pytest.mark.parametrize(("number", "text"), [(0, "0 nurses"), (1, "1 nurse"), (2, "2 nurses")])
def test_a_count_says_its_noun_in_the_right_form(number, text):
    assert formats.count(number, "nurse") == text


def test_a_phase_named_by_its_infusion_says_the_number_once():
    assert formats.phase_and_infusion("Initial dose, infusion 1", 1) == "Initial dose, infusion 1"
    assert formats.phase_and_infusion("Maintenance", 5) == "Maintenance, infusion 5"


def test_the_template_filters_need_no_load_and_leave_empty_values_empty():
    html = Template(
        "{{ d|center_day_year }} · {{ d|center_date_range:e }} · {{ t|center_time }} · [{{ none|center_date }}]"
        " · {{ name|with_infusion:1 }}"
    ).render(
        Context(
            {"d": MON_7_DEC, "e": MON_7_DEC, "t": datetime.time(9, 5), "none": None, "name": "Initial dose, infusion 1"}
        )
    )
    assert html == "Mon 7 Dec 2026 · 7 Dec 2026 · 09:05 · [] · Initial dose, infusion 1"


def test_the_settings_refuse_an_unknown_convention(monkeypatch):
    monkeypatch.setenv("CENTER_DATE_ORDER", "year-first")
    with pytest.raises(ImproperlyConfigured, match="CENTER_DATE_ORDER"):
        env_choice("CENTER_DATE_ORDER", formats.DAY_MONTH, formats.DATE_ORDERS)


class _Dates(forms.Form):
    day = forms.DateField(widget=DateInput())
    at = forms.DateTimeField(widget=DateTimeLocalInput())
    time = forms.TimeField(widget=TimeInput())


def test_date_and_time_inputs_are_text_in_the_centers_order_with_a_hint():
    form = _Dates(initial={"day": MON_7_DEC, "at": datetime.datetime(2026, 12, 7, 14, 5), "time": datetime.time(7)})
    html = str(form)
    assert 'type="date"' not in html and 'type="time"' not in html and "datetime-local" not in html
    assert 'value="07/12/2026"' in html and 'placeholder="dd/mm/yyyy"' in html
    assert 'value="07/12/2026 14:05"' in html and 'value="07:00"' in html and 'placeholder="hh:mm"' in html


@pytest.mark.parametrize("typed", ["07/12/2026", "7/12/2026", "2026-12-07", "7 Dec 2026"])
def test_a_date_is_read_day_first_or_as_iso(typed):
    form = _Dates({"day": typed, "at": "07/12/2026 14:05", "time": "14:05"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["day"] == MON_7_DEC
    assert form.cleaned_data["time"] == datetime.time(14, 5)


@pytest.mark.parametrize("typed", ["2026-12-07T14:05", "07/12/2026 14:05", "2026-12-07 14:05"])
def test_a_date_and_time_is_read_in_the_centers_order_or_as_iso(typed):
    form = _Dates({"day": "07/12/2026", "at": typed, "time": "14:05"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["at"].replace(tzinfo=None) == datetime.datetime(2026, 12, 7, 14, 5)


@pytest.mark.parametrize("typed", ["2:05 PM", "25:00", "14h05"])
def test_a_time_must_be_24_hour(typed):
    form = _Dates({"day": "07/12/2026", "at": "07/12/2026 14:05", "time": typed})
    assert not form.is_valid() and "time" in form.errors


def test_month_day_inputs_read_the_month_first():
    field = forms.DateField(input_formats=formats.date_input_formats(formats.MONTH_DAY))
    assert field.clean("12/07/2026") == MON_7_DEC
    assert formats.date_placeholder(formats.MONTH_DAY) == "mm/dd/yyyy"


def test_opening_hours_are_typed_as_24_hour_text():
    html = str(OpeningHoursForm())
    assert 'name="opens_at"' in html and 'type="time"' not in html
