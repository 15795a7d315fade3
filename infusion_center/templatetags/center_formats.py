"""Template filters for the center's date, time and duration formats (see infusion_center/formats.py).

Installed as template builtins, so every template can write `{{ appointment.premed_start|day_time }}`.
An empty value gives an empty string, so `|default:"—"` still works.
"""

from django import template

from infusion_center import formats

register = template.Library()


def _blank_safe(function):
    def wrapper(value, *args):
        if value in (None, ""):
            return ""
        return function(value, *args)

    wrapper.__name__ = function.__name__
    return wrapper


for _name in (
    "date",
    "date_long",
    "day",
    "day_year",
    "day_long",
    "day_month",
    "weekday",
    "weekday_short",
    "month_year",
    "month_year_short",
    "datetime",
    "day_time",
    "day_year_time",
    "day_month_time",
    "duration",
):
    register.filter(f"center_{_name}", _blank_safe(getattr(formats, _name)))

register.filter("center_time", _blank_safe(formats.time))
register.filter("center_time_s", _blank_safe(lambda value: formats.time(value, seconds=True)))
register.filter("center_datetime_s", _blank_safe(lambda value: formats.datetime(value, seconds=True)))


@register.filter
def center_date_range(first, last):
    """{{ first|center_date_range:last }}: 7–9 Dec 2026, or one day once."""
    if not first or not last:
        return formats.date(first or last) if (first or last) else ""
    return formats.date_range(first, last)


@register.filter
def center_time_range(start, end):
    """{{ start|center_time_range:end }}: 07:00–09:30."""
    if not start or not end:
        return formats.time(start or end) if (start or end) else ""
    return formats.time_range(start, end)


@register.filter
def center_input_date(value):
    """A date as a date input shows it (07/12/2026 for day-month)."""
    return value.strftime(formats.date_input_formats()[0]) if value else ""


@register.simple_tag
def center_date_placeholder():
    """What a date input asks for: dd/mm/yyyy (day-month) or mm/dd/yyyy."""
    return formats.date_placeholder()


@register.filter
def with_infusion(phase_name, infusion_number):
    """{{ phase.name|with_infusion:number }}: the phase and its infusion number, never the number twice."""
    return formats.phase_and_infusion(str(phase_name), infusion_number)
