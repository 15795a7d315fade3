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
within `OTHER_DAY_SECONDS` (and the minute a process keeps its copy) on another day's.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import threading
import time
from collections import OrderedDict

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

PROCESS_COPIES = 8  # the grids a process keeps in memory as well (a few days around today, each a few hundred kB)
PROCESS_COPY_SECONDS = 60  # and for at most a minute: what the fingerprint cannot see shows a minute later at most

_sql: str | None = None
# The process's own copies of grids it rendered or read, under the same keys: a hit then costs no read of a few
# hundred kB from the cache table. A key names the data's fingerprint, so a copy is never stale while its key is
# asked for; none is kept or used inside a transaction (its rows may be uncommitted, or rolled back later).
_copies: OrderedDict[str, tuple[float, tuple[str, list[int]]]] = OrderedDict()
_copies_lock = threading.Lock()
_clock = time.monotonic


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


_PREPARED_NAME = "board_fingerprint"


def board_fingerprint() -> tuple:
    """One query; changes whenever an ORM write touches anything the board shows."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _prepare_fingerprint(cursor)
            cursor.execute(f"EXECUTE {_PREPARED_NAME}")
        else:
            cursor.execute(_fingerprint_sql())
        return tuple(cursor.fetchall())


def _prepare_fingerprint(cursor) -> None:
    """On PostgreSQL the fingerprint is a statement prepared once per database session: planning its seventeen
    parts cost more than running them (0.45 of 0.85 ms a board; prepared, the whole query takes 0.18). Django
    prepares nothing itself (connection poolers in transaction mode lose a session's statements; none is used
    here). PREPARE outlives a rolled-back transaction, and a new connection is a new psycopg object, so the mark
    on the object says whether this session has the statement."""
    raw = connection.connection
    if getattr(raw, "_board_fingerprint_prepared", False):
        return
    cursor.execute(f"PREPARE {_PREPARED_NAME} AS {_fingerprint_sql()}")
    raw._board_fingerprint_prepared = True


def cache_key(day: datetime.date, now: datetime.datetime, fingerprint: tuple) -> str:
    """Today's grid moves with the clock (now-line, running stays): it is keyed by the minute. Another day's grid
    changes with the date only (readiness is judged today), except its "updated" time, set on each hit."""
    local = timezone.localtime(now)
    moment = f"{local:%Y-%m-%dT%H:%M}" if day == local.date() else local.date().isoformat()
    digest = hashlib.blake2b(repr(fingerprint).encode(), digest_size=16).hexdigest()
    return f"board:{day.isoformat()}:{moment}:{digest}"


_BETWEEN_TAGS = re.compile(r">\s+<")


def _compact(html: str) -> str:
    """The template's indentation between tags made one space (a browser renders a run of whitespace as one):
    a tenth of a large board's bytes, on every request that serves it. The grid has no <pre> or <textarea>."""
    return _BETWEEN_TAGS.sub("> <", html)


_UPDATED = re.compile(r'(<span class="board-updated text-body-secondary">updated )\d\d:\d\d(</span>)')


def board_grid(day: datetime.date) -> SafeString:
    """The rendered `_board.html` for the day, from the cache when nothing it shows has changed."""
    return board_grid_and_patients(day)[0]


def board_grid_and_patients(day: datetime.date) -> tuple[SafeString, list[int]]:
    """The grid and the ids of the patients it shows (for the access log), cached together."""

    now = timezone.now()
    key = cache_key(day, now, board_fingerprint())  # read before the data: a grid is never older than its key
    timeout = TODAY_SECONDS if day == timezone.localdate(now) else OTHER_DAY_SECONDS
    cached = _process_copy(key)
    cache = caches[CACHE_ALIAS]
    if cached is None:
        cached = cache.get(key)
        if cached is not None:
            _keep_copy(key, cached)
    if cached is None:
        context = board_context(day, now=now)
        html = _compact(str(render_to_string(TEMPLATE, context)))
        patient_ids = list(context["patient_ids"])
        cache.set(key, (html, patient_ids), timeout=timeout)
        _keep_copy(key, (html, patient_ids))
    else:
        html, patient_ids = cached
        html = _UPDATED.sub(rf"\g<1>{timezone.localtime(now):%H:%M}\g<2>", html, count=1)
    return mark_safe(html), patient_ids  # noqa: S308 - rendered by the template engine, which escaped it


def _process_copy(key: str) -> tuple[str, list[int]] | None:
    if connection.in_atomic_block:
        return None
    with _copies_lock:
        copy = _copies.get(key)
        if copy is None:
            return None
        if copy[0] <= _clock():
            del _copies[key]
            return None
        _copies.move_to_end(key)
        return copy[1]


def _keep_copy(key: str, value: tuple[str, list[int]]) -> None:
    if connection.in_atomic_block:
        return
    with _copies_lock:
        _copies[key] = (_clock() + PROCESS_COPY_SECONDS, value)
        _copies.move_to_end(key)
        while len(_copies) > PROCESS_COPIES:
            _copies.popitem(last=False)


def forget_process_copies() -> None:
    """Drop this process's copies (tests: a rolled-back test's history ids come again in the next)."""
    with _copies_lock:
        _copies.clear()
