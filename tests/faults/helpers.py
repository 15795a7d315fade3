"""Shared pieces of the fault tests: signed-in sessions for HTTP clients, bursts of bookings, DB checks."""

from __future__ import annotations

import datetime
import re

from django.db import connection
from django.test import Client

from infusion_center import roles
from scheduling.models import Appointment, Reminder
from tests.factories import staff

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ALREADY_BOOKED = re.compile(r"already booked", re.IGNORECASE)


def scheduler_session_keys(count: int, prefix: str = "burst") -> list[str]:
    """`count` schedulers, each signed in once through the real sign-in signals; their session keys."""
    keys = []
    for index in range(count):
        user = staff(roles.SCHEDULER, f"{prefix}-{index}")
        client = Client()
        client.force_login(user)
        keys.append(client.cookies["sessionid"].value)
    return keys


def overlapping_pairs(column: str = "chair_id") -> int:
    """Active appointments that overlap another one on the same chair (or patient): a PostgreSQL self-join."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT count(*) FROM scheduling_appointment a JOIN scheduling_appointment b
                ON a.{column} = b.{column} AND a.id < b.id
                AND tstzrange(a.premed_start, a.observation_end) && tstzrange(b.premed_start, b.observation_end)
                WHERE a.status NOT IN ('cancelled', 'no_show') AND b.status NOT IN ('cancelled', 'no_show')"""
        )
        return cursor.fetchone()[0]


def incomplete_bookings() -> list[str]:
    """Every booking the database holds is whole: each course has all its days, each appointment its confirmation."""
    problems = []
    courses: dict = {}
    for appointment in Appointment.objects.select_related("phase"):
        if appointment.course_id:
            courses.setdefault(appointment.course_id, []).append(appointment)
    for course_id, days in courses.items():
        numbers = sorted(a.course_day for a in days)
        if numbers != list(range(1, len(numbers) + 1)) or len(numbers) < days[0].phase.consecutive_days:
            problems.append(f"course {course_id} holds days {numbers}")
    without = Appointment.objects.exclude(
        pk__in=Reminder.objects.filter(kind=Reminder.Kind.CONFIRMATION).values("appointment_id")
    )
    problems += [f"appointment {pk} has no confirmation reminder" for pk in without.values_list("pk", flat=True)]
    return problems


def next_weekday(start: datetime.date, weekday: int) -> datetime.date:
    return start + datetime.timedelta(days=(weekday - start.weekday()) % 7 or 7)
