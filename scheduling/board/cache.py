"""The chair board's grid, rendered once per day, minute and state of the data, and served from a cache.

Every request first reads a fingerprint of everything the grid shows, in one cheap query (see
`board_fingerprint`); the cache key is the day, the local minute (the date alone for another day than today:
see `cache_key`) and that fingerprint, so a change to any input makes the next request render afresh, and the
now-line, running marks and "updated" time move every minute.
The grid holds nothing that depends on the user (the page around it, with the navigation and the CSRF
token, is rendered per request).

The fingerprint rests on django-simple-history: every ORM write to the inputs (save, delete, the admin) adds a
history row, and `tests/security/test_history_integrity.py` forbids the bulk writes that do not. For each
history table it takes the highest `history_id` and the sum of the last `RECENT_WINDOW` ids: the maximum alone
would miss a transaction that took an id before another's and committed after it; the sum sees that row arrive.
Writes that bypass the ORM (raw SQL, bulk loads) are not seen: they show at the next minute on today's board,
within `OTHER_DAY_SECONDS` on another day's.
"""

from __future__ import annotations

import datetime
import hashlib
import re

from django.core.cache import caches
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from authorisations.models import Authorisation
from patients.models import Patient, Screening
from pharmacy.models import Preparation
from replies.models import Confirmation
from scheduling import models
from scheduling.board.context import board_context
from scheduling.catalogue import CATALOGUE_MODELS

CACHE_ALIAS = "board"
TEMPLATE = "scheduling/_board.html"
RECENT_WINDOW = 1000
TODAY_SECONDS = 120  # today's keys carry the minute: useless after it
OTHER_DAY_SECONDS = 600  # other days' keys carry the date; this bounds what the fingerprint cannot see

# Everything the grid reads (blocks, readiness lights, nurse-load strip, closures, chairs, hours), and the
# records of the visit that readiness reads on other pages (reactions, overrides, premedications given).
INPUTS = (
    models.Appointment,
    Patient,
    models.TreatmentPlan,
    Screening,
    *CATALOGUE_MODELS,
    models.Chair,
    models.OpeningHours,
    models.Closure,
    models.NurseStaffing,
    models.InfusionReaction,
    models.ReadinessOverride,
    models.PremedicationGiven,
    Confirmation,  # the confirmation marks (replies app)
    Authorisation,  # the readiness light's authorisation check
    Preparation,  # the pharmacy status on each block
    models.OutsideDose,
)

_sql: str | None = None


def _fingerprint_sql() -> str:
    """Per history table, the highest id and the sum of the last RECENT_WINDOW ids (an empty table gives NULL):
    each part is one short backward scan of the primary key. A row committed late with an id among them pushes
    the lowest out and raises the sum. (A range "id > max - N" instead is estimated at a third of the table, and
    PostgreSQL starts parallel workers for it: 8 ms a board at 1.3 million history rows, against 0.4.)"""
    global _sql
    if _sql is None:
        qn = connection.ops.quote_name
        parts = []
        for model in INPUTS:
            table = qn(model.history.model._meta.db_table)
            pk = qn(model.history.model._meta.pk.column)
            last = f"SELECT {pk} AS id FROM {table} ORDER BY {pk} DESC LIMIT {RECENT_WINDOW}"
            parts.append(f"SELECT MAX(id), SUM(id) FROM ({last}) AS recent")
        _sql = " UNION ALL ".join(parts)
    return _sql


def board_fingerprint() -> tuple:
    """One query; changes whenever an ORM write touches anything the board shows."""
    with connection.cursor() as cursor:
        cursor.execute(_fingerprint_sql())
        return tuple(cursor.fetchall())


def cache_key(day: datetime.date, now: datetime.datetime, fingerprint: tuple) -> str:
    """Today's grid moves with the clock (now-line, running stays): it is keyed by the minute. Another day's grid
    changes with the date only (readiness is judged today), except its "updated" time, set on each hit."""
    local = timezone.localtime(now)
    moment = f"{local:%Y-%m-%dT%H:%M}" if day == local.date() else local.date().isoformat()
    digest = hashlib.blake2b(repr(fingerprint).encode(), digest_size=16).hexdigest()
    return f"board:{day.isoformat()}:{moment}:{digest}"


_UPDATED = re.compile(r'(<span class="board-updated text-body-secondary">updated )\d\d:\d\d(</span>)')


def board_grid(day: datetime.date) -> SafeString:
    """The rendered `_board.html` for the day, from the cache when nothing it shows has changed."""
    return board_grid_and_patients(day)[0]


def board_grid_and_patients(day: datetime.date) -> tuple[SafeString, list[int]]:
    """The grid and the ids of the patients it shows (for the access log), cached together."""

    now = timezone.now()
    key = cache_key(day, now, board_fingerprint())  # read before the data: a grid is never older than its key
    cache = caches[CACHE_ALIAS]
    cached = cache.get(key)
    if cached is None:
        context = board_context(day, now=now)
        html = str(render_to_string(TEMPLATE, context))
        patient_ids = list(context["patient_ids"])
        timeout = TODAY_SECONDS if day == timezone.localdate(now) else OTHER_DAY_SECONDS
        cache.set(key, (html, patient_ids), timeout=timeout)
    else:
        html, patient_ids = cached
        html = _UPDATED.sub(rf"\g<1>{timezone.localtime(now):%H:%M}\g<2>", html, count=1)
    return mark_safe(html), patient_ids  # noqa: S308 - rendered by the template engine, which escaped it
