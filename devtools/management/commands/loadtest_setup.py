"""Prepare a load test against the benchmark center: a sign-in user and the pages to request, as JSON.

Run it after `bench_scheduling --yes-wipe --build-only` (the `make loadtest` target does both). It
creates, or resets, the user `loadtest` with the Scheduler and Nurse roles and a new random password
(ending that user's sessions), then prints one JSON object:

    username, password   the sign-in for the load test
    board                chair-board paths for the busiest days of the booked month
    patients             patient-page paths of patients with history
    slots                find-a-time paths of active plans whose next dose falls in the booked month
    appointments         how many appointments the database holds
    patient_count        how many patients

It creates a user, so with DEBUG off it refuses to run without --yes; and it only runs on a database that
holds the benchmark center, so it cannot add a load-test login to a clinic's database by mistake.
"""

from __future__ import annotations

import datetime
import json
import random
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

from infusion_center import roles
from patients.models import Patient
from scheduling.models import Appointment, TreatmentPlan
from scheduling.selectors.center import center_tz, day_bounds
from scheduling.selectors.plan_state import plan_next_dose_to_book

USERNAME = "loadtest"
BENCHMARK_MRN = "B000000"  # the first patient bench_scheduling creates
BOOKED_DAYS = 30  # bench_scheduling books the next 30 days


class Command(BaseCommand):
    help = "Create (or reset) the load-test user and print the pages to request as JSON (benchmark center only)."

    def add_arguments(self, parser):
        parser.add_argument("--yes", action="store_true", help="Confirm creating a sign-in user with DEBUG off.")
        parser.add_argument("--board-days", type=int, default=10, help="How many busy days of the board.")
        parser.add_argument("--patients", type=int, default=200, help="How many patient pages.")
        parser.add_argument("--slots", type=int, default=100, help="How many find-a-time pages.")
        parser.add_argument("--seed", type=int, default=11)

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["yes"]:
            raise CommandError(
                f"This creates the sign-in user '{USERNAME}' with a new password. With DEBUG off, confirm with --yes."
            )
        if not Patient.objects.filter(mrn=BENCHMARK_MRN).exists():
            raise CommandError(
                "This database does not hold the benchmark center: build it first with "
                "`manage.py bench_scheduling --yes-wipe --build-only` (on a dedicated database; it wipes it)."
            )
        rng = random.Random(options["seed"])
        today = timezone.localdate(timezone.now(), center_tz())
        month = (today + datetime.timedelta(days=1), today + datetime.timedelta(days=BOOKED_DAYS))
        password = secrets.token_urlsafe(24)
        self._user(password)
        figures = {
            "username": USERNAME,
            "password": password,
            "board": self._board_paths(month, options["board_days"]),
            "patients": self._patient_paths(rng, options["patients"]),
            "slots": self._slot_paths(rng, month, options["slots"]),
            "appointments": Appointment.objects.count(),
            "patient_count": Patient.objects.count(),
        }
        for key in ("board", "patients", "slots"):
            if not figures[key]:
                raise CommandError(f"Found no {key} pages to request: is the benchmark center complete?")
        self.stdout.write(json.dumps(figures))

    @staticmethod
    def _user(password: str) -> None:
        from axes.utils import reset

        User = get_user_model()
        with transaction.atomic():
            user, _ = User.objects.get_or_create(username=USERNAME)
            user.first_name, user.last_name = "Load", "Test"
            user.is_active = True
            user.is_staff = False
            user.is_superuser = False
            user.set_password(password)  # a new password also ends the sessions of an earlier run
            user.save()
            user.groups.set([Group.objects.get_or_create(name=name)[0] for name in (roles.SCHEDULER, roles.NURSE)])
        reset(username=USERNAME)  # forget failed sign-ins of an earlier run

    @staticmethod
    def _board_paths(month: tuple[datetime.date, datetime.date], count: int) -> list[str]:
        start, end = day_bounds(*month)
        busiest = (
            Appointment.objects.filter(premed_start__gte=start, premed_start__lt=end)
            .exclude(status=Appointment.Status.CANCELLED)
            .annotate(day=TruncDate("premed_start", tzinfo=center_tz()))
            .values("day")
            .annotate(n=Count("pk"))
            .order_by("-n", "day")[:count]
        )
        board = reverse("scheduling:board")
        return [f"{board}?day={row['day']:%Y-%m-%d}" for row in busiest]

    @staticmethod
    def _patient_paths(rng: random.Random, count: int) -> list[str]:
        ids = list(
            Patient.objects.filter(appointments__isnull=False).distinct().order_by("pk").values_list("pk", flat=True)
        )
        return [reverse("patients:patient-detail", args=[pk]) for pk in sorted(rng.sample(ids, min(count, len(ids))))]

    @staticmethod
    def _slot_paths(rng: random.Random, month: tuple[datetime.date, datetime.date], count: int) -> list[str]:
        plans = list(TreatmentPlan.objects.filter(status=TreatmentPlan.Status.ACTIVE).select_related("patient", "drug"))
        rng.shuffle(plans)
        paths = []
        for plan in plans[: count * 20]:
            dose = plan_next_dose_to_book(plan=plan)
            if dose is not None and month[0] <= dose.target <= month[1]:
                paths.append(reverse("scheduling:plan-find", args=[plan.pk]))
                if len(paths) == count:
                    break
        return paths
