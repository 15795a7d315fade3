"""Front-desk patient search: names in any order, dates of birth, phone digits and partial MRNs, best match first.

Names are compared normalised: lower case, accents removed, punctuation dropped ("O'Brien" = "obrien",
"Núñez" = "nunez"). The database does the normalising through SQL functions of the same names on both
databases: on PostgreSQL they are created by a migration (with `unaccent`) and served by trigram indexes
(`pg_trgm`); on SQLite they are Python functions registered on each connection (see `register_sqlite_functions`).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import BooleanField, Case, CharField, F, FloatField, Func, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from patients.models import Patient

# The center writes dates day-month-year; ISO dates (as a date picker sends them) are understood too.
_DMY_DATE = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
# Letters that have no accent to strip but a usual plain spelling (what PostgreSQL's `unaccent` gives too).
_PLAIN = str.maketrans({"ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "þ": "th", "ı": "i"})
_SEPARATORS = re.compile(r"[\s,;]+")


def normalise(value: str | None) -> str:
    """Lower case, without accents or punctuation; spaces kept (the Python twin of SQL `patient_search_norm`)."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKD", value)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower().translate(_PLAIN)
    return "".join(ch for ch in text if ch.isalnum() or ch.isspace())


def search_name(first_name: str | None, last_name: str | None) -> str | None:
    if first_name is None or last_name is None:
        return None
    return normalise(f"{first_name} {last_name}")


def digits(value: str | None) -> str | None:
    if value is None:
        return None
    return re.sub(r"[^0-9]+", "", value)


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """On SQLite, the search's SQL functions are these Python ones (PostgreSQL has them from a migration)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("patient_search_norm", 1, normalise, deterministic=True)
        connection.connection.create_function("patient_search_name", 2, search_name, deterministic=True)
        connection.connection.create_function("patient_digits", 1, digits, deterministic=True)


class SearchNorm(Func):
    function = "patient_search_norm"
    output_field = CharField()


class SearchName(Func):
    """first and last name as one normalised text: the expression the name trigram index is built on."""

    function = "patient_search_name"
    output_field = CharField()


class Digits(Func):
    function = "patient_digits"
    output_field = CharField()


class Similarity(Func):
    function = "similarity"  # pg_trgm: shared trigrams, 0 to 1
    output_field = FloatField()


@dataclass
class PatientQuery:
    """What a front-desk search says: name words, dates of birth and a run of digits (phone or MRN)."""

    words: list[str] = field(default_factory=list)
    birth_dates: list[datetime.date] = field(default_factory=list)
    number: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.words or self.birth_dates or self.number)


def parse_birth_date(text: str) -> datetime.date | None:
    """A date of birth as the center writes it (day, month, year: 14/03/1985, 14.3.85, 14-03-1985) or as ISO
    (1985-03-14); a two-digit year is the latest one not in the future. None for anything else."""
    today = timezone.localdate()
    centuries = (0,)
    if match := _ISO_DATE.match(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _DMY_DATE.match(text):
        day, month, year = (int(part) for part in match.groups())
        if len(match[3]) == 2:
            centuries = (2000, 1900)
    else:
        return None
    for century in centuries:
        try:
            born = datetime.date(century + year, month, day)
        except ValueError:
            return None
        if born <= today:
            return born
    return None


def parse_query(text: str) -> PatientQuery:
    """Split a search into its parts. "Doyle, Sofia 14/03/1985" = the words doyle and sofia, born 14 March 1985.

    A search without letters that is not a date is one number, whatever its punctuation: "(555) 010-2323" is
    the digits 5550102323, matched against phone numbers and MRNs."""
    query = PatientQuery()
    text = text.strip()
    if not text:
        return query
    whole_date = parse_birth_date(text)
    if whole_date is not None:
        query.birth_dates.append(whole_date)
        return query
    if not any(ch.isalpha() for ch in text):
        tokens = _SEPARATORS.split(text)
        dates = [parse_birth_date(token) for token in tokens]
        if any(dates):
            query.birth_dates = [d for d in dates if d]
            text = " ".join(token for token, d in zip(tokens, dates, strict=True) if not d)
        query.number = digits(text)
        return query
    for token in _SEPARATORS.split(text):
        birth_date = parse_birth_date(token)
        if birth_date is not None:
            query.birth_dates.append(birth_date)
            continue
        word = normalise(token).replace(" ", "")
        if word:
            query.words.append(word)
    return query


def patient_search(text: str, queryset: QuerySet[Patient] | None = None) -> QuerySet[Patient]:
    """The patients a search finds, closest first: exact MRN, then names that start with the words typed, then
    (PostgreSQL) trigram similarity, then alphabetical. Every word, date and number typed must match."""
    queryset = Patient.objects.all() if queryset is None else queryset
    query = parse_query(text)
    if query.is_empty:
        return queryset.none() if text.strip() else queryset.order_by("last_name", "first_name", "mrn")
    condition = Q()
    for word in query.words:
        # a word may be part of a name or of an alphanumeric MRN ("B0023")
        condition &= Q(search_name__contains=word) | Q(search_mrn__contains=word)
    for birth_date in query.birth_dates:
        condition &= Q(date_of_birth=birth_date)
    if query.number:
        number = Q(search_mrn__contains=query.number)
        if len(query.number) >= 4:  # fewer digits would match a part of almost every phone number
            number |= Q(search_phone__contains=query.number)
        condition &= number
    queryset = queryset.alias(
        search_name=SearchName(F("first_name"), F("last_name")),
        search_mrn=SearchNorm(F("mrn")),
        search_phone=Digits(F("phone")),
    ).filter(condition)
    closeness = _closeness(query)
    similarity = ["-search_similarity"] if "search_similarity" in closeness else []
    return (
        queryset.alias(search_last=SearchNorm(F("last_name")), search_first=SearchNorm(F("first_name")))
        .annotate(**closeness)
        .order_by("-search_mrn_exact", "-search_name_hits", *similarity, "last_name", "first_name", "mrn")
    )


def _closeness(query: PatientQuery) -> dict:
    typed = query.number or "".join(query.words)
    mrn_exact = Case(When(search_mrn=typed, then=Value(1)), default=Value(0), output_field=IntegerField())
    hits = Value(0, output_field=IntegerField())
    for word in query.words:
        hits = hits + Case(
            When(Q(search_last=word), then=Value(4)),
            When(Q(search_last__startswith=word), then=Value(2)),
            default=Value(0),
            output_field=IntegerField(),
        )
        hits = hits + Case(
            When(Q(search_first=word), then=Value(3)),
            When(Q(search_first__startswith=word), then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    annotations = {"search_mrn_exact": mrn_exact, "search_name_hits": hits}
    if connection.vendor == "postgresql" and query.words:
        annotations["search_similarity"] = Similarity(F("search_name"), Value(" ".join(query.words)))
    return annotations


@dataclass
class PossibleDuplicate:
    patient: Patient
    reasons: list[str]


def possible_duplicates(
    *,
    first_name: str,
    last_name: str,
    date_of_birth: datetime.date | None,
    email: str = "",
    mrn: str = "",
    exclude_pk: int | None = None,
) -> list[PossibleDuplicate]:
    """Other patients who may be the same person: the same name (either way round) and date of birth, the same
    email, or an MRN that differs only in case or punctuation (an identical MRN is refused by the form)."""
    first, last = normalise(first_name or "").replace(" ", ""), normalise(last_name or "").replace(" ", "")
    typed_mrn = normalise(mrn or "").replace(" ", "")
    checks: list[tuple[str, Q]] = []
    if date_of_birth and first and last:
        same_name = (Q(dup_first=first) & Q(dup_last=last)) | (Q(dup_first=last) & Q(dup_last=first))
        checks.append(("the same name and date of birth", Q(date_of_birth=date_of_birth) & same_name))
    if email:
        checks.append(("the same email", Q(email__iexact=email)))
    if typed_mrn:
        checks.append(("an MRN that differs only in case or punctuation", Q(search_mrn=typed_mrn) & ~Q(mrn=mrn)))
    if not checks:
        return []
    condition = Q()
    for _reason, check in checks:
        condition |= check
    # spaces inside a name part do not matter either ("Mc Donald" = "McDonald")
    nospace = Func(SearchNorm(F("first_name")), Value(" "), Value(""), function="REPLACE", output_field=CharField())
    last_nospace = Func(SearchNorm(F("last_name")), Value(" "), Value(""), function="REPLACE", output_field=CharField())
    queryset = Patient.objects.alias(dup_first=nospace, dup_last=last_nospace, search_mrn=SearchNorm(F("mrn")))
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    annotations = {
        f"dup_reason_{index}": Case(When(check, then=Value(True)), default=Value(False), output_field=BooleanField())
        for index, (_reason, check) in enumerate(checks)
    }
    found = queryset.filter(condition).annotate(**annotations).order_by("last_name", "first_name", "mrn")[:10]
    return [
        PossibleDuplicate(
            patient=patient,
            reasons=[reason for index, (reason, _) in enumerate(checks) if getattr(patient, f"dup_reason_{index}")],
        )
        for patient in found
    ]
