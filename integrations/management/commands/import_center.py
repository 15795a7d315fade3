"""Import patients, treatment plans, past doses and screenings from CSV files or a FHIR R4 Bundle."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from integrations.imports.columns import DOSES, FHIR, PATIENTS, PLANS, SCREENINGS
from integrations.imports.services import import_run


class Command(BaseCommand):
    help = (
        "Check (default: a dry run) or import the center's patients and history. Nothing is written while any row "
        "fails, unless --valid-rows is given. Re-running the same files changes nothing (rows are matched by MRN)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--patients", type=Path, help="patients CSV")
        parser.add_argument("--plans", type=Path, help="treatment plans CSV")
        parser.add_argument("--doses", type=Path, help="past doses CSV")
        parser.add_argument("--screenings", type=Path, help="screenings CSV")
        parser.add_argument("--fhir", type=Path, help="FHIR R4 Bundle (JSON) of Patient resources")
        parser.add_argument("--commit", action="store_true", help="import (without it: a dry run)")
        parser.add_argument("--valid-rows", action="store_true", help="import the valid rows, skip the others")
        parser.add_argument("--user", required=True, help="username recorded in the history as the importer")

    def handle(self, *args, **options) -> None:
        files = {}
        for kind in (PATIENTS, PLANS, DOSES, SCREENINGS, FHIR):
            path = options[kind]
            if path is not None:
                try:
                    files[kind] = (path.name, path.read_text(encoding="utf-8-sig"))
                except (OSError, UnicodeDecodeError) as exc:
                    raise CommandError(f"Cannot read {path}: {exc}") from exc
        if not files:
            raise CommandError("Give at least one file: --patients, --plans, --doses, --screenings or --fhir.")
        user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {options['user']!r}: the import is recorded under a user's name.")
        report = import_run(
            files=files, user=user, dry_run=not options["commit"], valid_rows_only=options["valid_rows"]
        )
        for problem in report.file_problems:
            self.stderr.write(f"{problem.file}: {problem.message}")
        for row in report.rows:
            line = f"{row.file} row {row.row} [{row.mrn}] {row.action}: {row.summary}"
            if row.changes:
                line += " (" + ", ".join(row.changes) + ")"
            self.stdout.write(line)
            for error in row.errors:
                self.stderr.write(f"  {error}")
        counts = report.counts()
        summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
        if report.imported:
            self.stdout.write(self.style.SUCCESS(f"Imported: {summary}."))
        elif report.dry_run and not report.has_errors:
            self.stdout.write(f"Dry run, nothing written: {summary}. Run again with --commit to import.")
        else:
            raise CommandError(
                f"Nothing was imported: {len(report.errors) + len(report.file_problems)} error(s) ({summary}). "
                "Fix them, or use --valid-rows to import the valid rows."
            )
