"""When the database cannot be reached, a request gets a 503 that says so in words, not a bare server error."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import InterfaceError, OperationalError
from django.test import Client
from django.urls import reverse

from infusion_center import roles
from tests.factories import staff

pytestmark = pytest.mark.django_db


def _fail(exc):
    def raise_it(*args, **kwargs):
        raise exc

    return raise_it


@pytest.mark.parametrize(
    "exc",
    [
        OperationalError("terminating connection due to administrator command"),
        InterfaceError("connection already closed"),
    ],
)
def test_a_view_that_loses_the_database_answers_503_in_words(monkeypatch, exc):
    client = Client(raise_request_exception=False)
    client.force_login(staff(roles.SCHEDULER, "sam"))
    monkeypatch.setattr("scheduling.board.cache.board_context", _fail(exc))
    response = client.get(reverse("scheduling:board"))
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    body = response.content.decode()
    assert "The database is unavailable, try again" in body
    assert "Something went wrong" not in body


def test_a_session_lookup_that_loses_the_database_in_middleware_also_answers_503(monkeypatch):
    """The session is read by middleware before any view runs: the error page must not need the database."""
    client = Client(raise_request_exception=False)
    client.force_login(staff(roles.SCHEDULER, "sam"))
    monkeypatch.setattr(SessionStore, "load", _fail(OperationalError("could not connect to server")))
    response = client.get(reverse("scheduling:board"))
    assert response.status_code == 503
    assert "The database is unavailable" in response.content.decode()


def test_any_other_error_is_still_the_plain_500_page(monkeypatch):
    client = Client(raise_request_exception=False)
    client.force_login(staff(roles.SCHEDULER, "sam"))
    monkeypatch.setattr("scheduling.board.cache.board_context", _fail(ValueError("a bug")))
    response = client.get(reverse("scheduling:board"))
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
