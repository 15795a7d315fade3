"""The .ics files sent with confirmations, updates and cancellations (iTIP REQUEST / CANCEL), built from plain data."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from icalendar import Alarm, Calendar, Event, vCalAddress, vText

PRODID = "-//Infusion Center Scheduler//Appointments//EN"
METHOD_REQUEST = "REQUEST"
METHOD_CANCEL = "CANCEL"
ALARM_BEFORE = datetime.timedelta(hours=2)  # time to get ready and travel


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    sequence: int
    start: datetime.datetime  # aware
    end: datetime.datetime  # aware
    summary: str
    location: str
    description: str
    organizer_email: str
    organizer_name: str
    attendee_email: str
    attendee_name: str


def calendar_file(event: CalendarEvent, *, method: str, stamp: datetime.datetime) -> bytes:
    """One VCALENDAR with one VEVENT. A calendar app matches an update to the original by UID and keeps the
    highest SEQUENCE; METHOD:CANCEL with STATUS:CANCELLED removes it."""
    if method not in (METHOD_REQUEST, METHOD_CANCEL):
        raise ValueError(f"Unknown calendar method {method!r}.")
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)

    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", stamp.astimezone(datetime.UTC))
    vevent.add("dtstart", event.start.astimezone(datetime.UTC))
    vevent.add("dtend", event.end.astimezone(datetime.UTC))
    vevent.add("summary", event.summary)
    vevent.add("location", event.location)
    vevent.add("description", event.description)
    vevent.add("status", "CANCELLED" if method == METHOD_CANCEL else "CONFIRMED")
    vevent.add("transp", "OPAQUE")

    organizer = vCalAddress(f"mailto:{event.organizer_email}")
    organizer.params["cn"] = vText(event.organizer_name)
    vevent["organizer"] = organizer
    attendee = vCalAddress(f"mailto:{event.attendee_email}")
    attendee.params["cn"] = vText(event.attendee_name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["rsvp"] = vText("FALSE")
    vevent.add("attendee", attendee, encode=0)

    if method == METHOD_REQUEST:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", event.summary)
        alarm.add("trigger", -ALARM_BEFORE)
        vevent.add_component(alarm)

    cal.add_component(vevent)
    return cal.to_ical()
