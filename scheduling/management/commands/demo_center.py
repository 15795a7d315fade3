"""The demo center (built in scheduling/demo/)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from scheduling.demo.center import DemoCenter


class Command(BaseCommand):
    help = "Creates a demo infusion center with patients, past doses and two weeks of appointments (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (same seed and day: same data).")
        parser.add_argument("--reset", action="store_true", help="Delete the demo center first and build it again.")
        parser.add_argument("--password", help="Password for the four demo logins (default: a random strong one).")

    def handle(self, *args, seed: int, reset: bool, password: str | None, **options) -> None:
        DemoCenter(stdout=self.stdout, style=self.style).run(seed=seed, reset=reset, password=password)
