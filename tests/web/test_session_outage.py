"""A database connection lost while Django saves the session after the view: the view's answer stands."""

import pytest
from django.contrib import messages
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore
from django.db import DatabaseError, OperationalError
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path

pytestmark = pytest.mark.django_db


def _noted(request):
    messages.success(request, "Booked.")  # kept in the session: the session is saved after this view
    return HttpResponse("done")


urlpatterns = [path("_probe/noted/", _noted)]


def _failing_save(cause, calls):
    def save(self, must_create=False):
        calls.append(must_create)
        try:
            raise cause
        except DatabaseError:
            raise UpdateError  # noqa: B904 - as Django's database backend raises it, the cause as its context

    return save


@override_settings(ROOT_URLCONF=__name__)
def test_a_connection_lost_while_saving_the_session_keeps_the_answer(client, nurse, monkeypatch):
    client.force_login(nurse)
    calls = []
    monkeypatch.setattr(SessionStore, "save", _failing_save(OperationalError("server closed the connection"), calls))
    response = client.get("/_probe/noted/")
    assert calls == [False]  # the save was tried, and failed
    assert (response.status_code, response.content) == (200, b"done")


@override_settings(ROOT_URLCONF=__name__)
def test_a_session_deleted_meanwhile_is_still_refused(client, nurse, monkeypatch):
    client.force_login(nurse)
    calls = []
    monkeypatch.setattr(SessionStore, "save", _failing_save(DatabaseError("Forced update affected no rows."), calls))
    assert client.get("/_probe/noted/").status_code == 400
    assert calls == [False]
