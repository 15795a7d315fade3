"""Walk the whole URLconf as an anonymous visitor: nothing but the sign-in and public pages answers with data.

Every pattern is requested with GET and POST, its int/uuid/id parameters filled with the ids of real rows
(one of each patient-related record), so URLs added later are covered without touching this test.
"""

from __future__ import annotations

import itertools
import re
import uuid
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Pages that anyone may open: signing in, resetting a forgotten password, and the signed unsubscribe link.
PUBLIC_VIEW_NAMES = {
    "login",
    "admin:login",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "healthz",  # "ok" when the database answers; carries no data
    "healthz-mail",  # "ok", or since when the mail server fails and how many emails wait: no patient data
    "fhir:metadata",  # the FHIR CapabilityStatement: what the API offers, no data
    "oauth2-token",  # the OAuth 2.0 token endpoint authenticates clients itself (tests/integrations)
}
# The reminder e-mails' signed unsubscribe link and the patients' answer links (replies/) check their own signatures.
PUBLIC_NAME_PARTS = ("unsubscribe", "patient-link")

ALLOWED_STATUSES = {401, 403, 404, 405}  # 401: the FHIR API's answer without a bearer token


@dataclass(frozen=True)
class Route:
    name: str
    segments: tuple  # one pattern object per include level


def all_routes(patterns=None, segments=(), namespace="") -> list[Route]:
    routes = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            routes += all_routes(entry.url_patterns, (*segments, entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            routes.append(Route(f"{namespace}{entry.name}" if entry.name else "", (*segments, entry.pattern)))
    return routes


_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^()]*)\)")


def _value(name: str, converter: str, number: int, uid: uuid.UUID) -> str:
    if converter == "int" or name == "pk" or name.endswith("id"):
        return str(number) if converter != "uuid" else str(uid)
    if converter == "uuid" or name.endswith("uuid") or name == "uid":
        return str(uid)
    return "x"


def concrete_path(route: Route, number: int, uid: uuid.UUID) -> str:
    parts = []
    for pattern in route.segments:
        if isinstance(pattern, RoutePattern):
            text = _ROUTE_PARAM.sub(
                lambda m: _value(m["name"], m["converter"] or "str", number, uid), str(pattern._route)
            )
        elif isinstance(pattern, RegexPattern):

            def group(m):
                body = m["body"]
                if re.fullmatch(r"[\w|]+", body):  # an alternation of words: take the first
                    return body.split("|")[0]
                if body in (r"\d+", "[0-9]+"):
                    return str(number)
                return _value(m["name"], "str", number, uid)

            text = _REGEX_GROUP.sub(group, pattern._regex).lstrip("^").rstrip("$").replace("\\", "")
        else:  # a LocalePrefixPattern or similar
            text = str(pattern)
        parts.append(text)
    return "/" + "".join(parts)


def is_public(name: str) -> bool:
    return name in PUBLIC_VIEW_NAMES or any(part in name for part in PUBLIC_NAME_PARTS)


def sign_in_paths() -> set[str]:
    return {resolve_url(settings.LOGIN_URL), resolve_url("admin:login")}


def anonymous_outcome(client: Client, method: str, path: str, sign_in: set[str]) -> str | None:
    """None when the answer is a refusal; else what the visitor got. Redirects within the site are followed."""
    response = getattr(client, method)(path)
    for _ in range(3):
        status = response.status_code
        if status in ALLOWED_STATUSES:
            return None
        if status not in (301, 302, 303, 307, 308):
            return f"status {status}"
        location = response["Location"]
        target = location.split("?")[0]
        if target in sign_in:
            return None
        if not target.startswith("/"):
            return f"redirect to {location}"
        response = client.get(location)
    return f"redirect chain from {path} does not reach the sign-in page"


def test_walker_builds_every_kind_of_path():
    paths = {concrete_path(r, 7, uuid.UUID(int=1)) for r in all_routes()}
    assert "/accounts/login/" in paths
    assert "/admin/auth/user/7/change/" in paths
    assert "/admin/auth/" in paths  # from the admin's regex app_list pattern
    assert "/audit/" in paths


def walk_anonymously(records) -> tuple[list[str], list[str], int]:
    user = UserFactory()
    ids = sorted({obj.pk for obj in records.values() if isinstance(getattr(obj, "pk", None), int)} | {user.pk})
    uids = [records["appointment"].uid, uuid.uuid4()]
    client = Client()
    sign_in = sign_in_paths()
    leaks, unresolved, checked = [], [], 0

    for route in all_routes():
        needs_values = any(
            _ROUTE_PARAM.search(str(getattr(p, "_route", ""))) or _REGEX_GROUP.search(getattr(p, "_regex", ""))
            for p in route.segments
        )
        candidates = list(itertools.product(ids, uids[:1])) + [(ids[0], uids[1])] if needs_values else [(0, uids[0])]
        for number, uid in candidates:
            path = concrete_path(route, number, uid)
            try:
                match = resolve(path)
            except Exception:  # noqa: BLE001
                unresolved.append(path)
                continue
            name = match.view_name
            if is_public(name):
                continue  # allowed to answer anyone
            for method in ("get", "post"):
                checked += 1
                problem = anonymous_outcome(client, method, path, sign_in)
                if problem:
                    leaks.append(f"{method.upper()} {path} ({name}): {problem}")
            client.logout()

    return leaks, unresolved, checked


def test_every_url_refuses_anonymous_visitors(records):
    leaks, unresolved, checked = walk_anonymously(records)
    assert unresolved == [], f"could not build a resolvable path for: {unresolved}"
    assert checked > 50
    assert leaks == [], "Anonymous visitors got:\n" + "\n".join(leaks)


@pytest.mark.urls("tests.security.urls")
def test_walk_catches_pages_open_to_anyone(records):
    leaks, _, _ = walk_anonymously(records)
    assert any(leak.startswith("GET /_probe/form/ ") for leak in leaks)
    assert any(leak.startswith("GET /_probe/messages/ ") for leak in leaks)
    assert not any("/_probe/protected/" in leak for leak in leaks)
