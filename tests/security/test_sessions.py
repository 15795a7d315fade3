"""Sessions end after idle and absolute time, on sign-out, on deactivation and on a password change."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from accounts.models import UserSession
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.security.urls")]

PASSWORD = "correct-horse-battery-staple"
START = datetime.datetime(2026, 3, 2, 13, 0, tzinfo=datetime.UTC)
PROTECTED = "/_probe/protected/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def sign_in(client: Client, user) -> None:
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "sign-in failed"


def session_key(client: Client) -> str:
    return client.cookies["sessionid"].value


def assert_sent_to_sign_in(response) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.fixture(autouse=True)
def _land_on_probe(settings):
    settings.LOGIN_REDIRECT_URL = PROTECTED


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_idle_session_ends_after_the_idle_time(client, clock, settings):
    assert settings.SESSION_IDLE_MINUTES == 30
    user = UserFactory()
    sign_in(client, user)
    key = session_key(client)
    clock.shift(datetime.timedelta(minutes=29))
    assert client.get(PROTECTED).status_code == 200
    clock.shift(datetime.timedelta(minutes=29))  # 58 minutes after sign-in, 29 after the last activity
    assert client.get(PROTECTED).status_code == 200
    clock.shift(datetime.timedelta(minutes=30))
    response = client.get(PROTECTED)
    assert_sent_to_sign_in(response)
    assert response["Location"].endswith("?next=/_probe/protected/")
    assert not Session.objects.filter(session_key=key).exists(), "the session must end on the server"
    assert not UserSession.objects.filter(session_key=key).exists()
    assert "30 minutes without activity" in client.get("/_probe/messages/").content.decode()
    assert_sent_to_sign_in(client.get(PROTECTED))


def test_idle_time_is_configurable(client, clock, settings):
    settings.SESSION_IDLE_MINUTES = 5
    sign_in(client, UserFactory())
    clock.shift(datetime.timedelta(minutes=4))
    assert client.get(PROTECTED).status_code == 200
    clock.shift(datetime.timedelta(minutes=5))
    assert_sent_to_sign_in(client.get(PROTECTED))


def test_absolute_limit_ends_an_active_session(client, clock, settings):
    settings.SESSION_ABSOLUTE_HOURS = 2
    sign_in(client, UserFactory())
    key = session_key(client)
    for _ in range(5):  # active every 20 minutes for 1 h 40
        clock.shift(datetime.timedelta(minutes=20))
        assert client.get(PROTECTED).status_code == 200
    clock.shift(datetime.timedelta(minutes=20))  # 2 hours after sign-in
    assert_sent_to_sign_in(client.get(PROTECTED))
    assert not Session.objects.filter(session_key=key).exists()
    assert "2-hour limit" in client.get("/_probe/messages/").content.decode()


def test_default_absolute_limit_is_twelve_hours(client, clock, settings):
    assert settings.SESSION_ABSOLUTE_HOURS == 12
    sign_in(client, UserFactory())
    for _ in range(12 * 3 - 1):
        clock.shift(datetime.timedelta(minutes=20))
        assert client.get(PROTECTED).status_code == 200
    clock.shift(datetime.timedelta(minutes=20))
    assert_sent_to_sign_in(client.get(PROTECTED))


def test_htmx_auto_refresh_does_not_keep_the_session_alive(client, clock):
    sign_in(client, UserFactory())
    key = session_key(client)
    for _ in range(2):  # the board refreshes itself every few minutes
        clock.shift(datetime.timedelta(minutes=10))
        assert client.get(PROTECTED, **HTMX).status_code == 200
    clock.shift(datetime.timedelta(minutes=10))  # 30 minutes since the last real activity
    response = client.get(PROTECTED, HTTP_HX_CURRENT_URL="http://testserver/board/", **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("login") + "?next=/board/"
    assert response.content == b""
    assert not Session.objects.filter(session_key=key).exists()
    assert "without activity" in client.get("/_probe/messages/").content.decode()


def test_htmx_redirect_never_points_to_another_site(client, clock):
    sign_in(client, UserFactory())
    clock.shift(datetime.timedelta(minutes=31))
    response = client.get(PROTECTED, HTTP_HX_CURRENT_URL="https://evil.example/phish/", **HTMX)
    assert response["HX-Redirect"] == reverse("login")


def test_expired_session_on_the_sign_in_page_shows_the_form(client, clock, settings):
    settings.ROOT_URLCONF = "tests.security.urls"
    settings.LOGIN_URL = "/_probe/messages/"  # a sign-in page stand-in that lists the messages
    sign_in(client, UserFactory())
    clock.shift(datetime.timedelta(minutes=31))
    response = client.get("/_probe/messages/")
    assert response.status_code == 200
    assert "without activity" in response.content.decode()
    assert_sent_to_sign_in_at(client.get(PROTECTED), "/_probe/messages/")


def assert_sent_to_sign_in_at(response, login_url: str) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith(login_url + "?next=")


def test_user_actions_through_htmx_count_as_activity(client, clock):
    sign_in(client, UserFactory())
    clock.shift(datetime.timedelta(minutes=20))
    assert client.post(PROTECTED, **HTMX).status_code == 200  # e.g. a check-in button
    clock.shift(datetime.timedelta(minutes=20))
    assert client.get(PROTECTED, HTTP_HX_BOOSTED="true", **HTMX).status_code == 200  # boosted navigation
    clock.shift(datetime.timedelta(minutes=20))
    assert client.get(PROTECTED).status_code == 200


def test_sign_out_ends_the_session_on_the_server(client):
    user = UserFactory()
    sign_in(client, user)
    key = session_key(client)
    assert UserSession.objects.filter(user=user, session_key=key).exists()
    assert client.post(reverse("logout")).status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(session_key=key).exists()

    replay = Client()
    replay.cookies["sessionid"] = key
    assert_sent_to_sign_in(replay.get(PROTECTED))


def test_sign_in_issues_a_new_session_key(client):
    client.get("/_probe/form/")
    before = session_key(client)
    sign_in(client, UserFactory())
    assert session_key(client) != before


def test_deactivating_a_user_ends_all_their_sessions(client):
    user = UserFactory()
    other_desk = Client()
    sign_in(client, user)
    sign_in(other_desk, user)
    keys = {session_key(client), session_key(other_desk)}
    bystander = Client()
    sign_in(bystander, UserFactory())
    assert client.get(PROTECTED).status_code == 200

    user.is_active = False
    user.save()  # what the admin's user form does

    assert not Session.objects.filter(session_key__in=keys).exists()
    assert not UserSession.objects.filter(user=user).exists()
    assert_sent_to_sign_in(client.get(PROTECTED))
    assert_sent_to_sign_in(other_desk.get(PROTECTED))
    assert bystander.get(PROTECTED).status_code == 200


def test_deactivation_through_admin_ends_the_session(client):
    user = UserFactory()
    sign_in(client, user)
    manager = UserFactory(is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(manager)
    response = admin.post(
        reverse("admin:auth_user_change", args=[user.pk]),
        {
            "username": user.username,
            "email": user.email,
            "is_active": "",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "08:00:00",
            "initial-date_joined_0": "2026-01-01",
            "initial-date_joined_1": "08:00:00",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    user.refresh_from_db()
    assert user.is_active is False
    assert_sent_to_sign_in(client.get(PROTECTED))


def test_saving_a_user_without_changing_password_or_status_keeps_sessions(client):
    user = UserFactory()
    sign_in(client, user)
    user.first_name = "Dana"
    user.save()
    assert client.get(PROTECTED).status_code == 200


def test_password_reset_by_someone_else_ends_all_sessions(client):
    user = UserFactory()
    sign_in(client, user)
    key = session_key(client)
    user.set_password("a-new-long-passphrase-for-dana")
    user.save()
    assert not Session.objects.filter(session_key=key).exists()
    assert_sent_to_sign_in(client.get(PROTECTED))


def test_changing_own_password_keeps_this_session_and_ends_the_others(client):
    user = UserFactory()
    other_desk = Client()
    sign_in(client, user)
    sign_in(other_desk, user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "river-lantern-quietly-07",
            "new_password2": "river-lantern-quietly-07",
        },
    )
    assert response.status_code == 302
    assert client.get(PROTECTED).status_code == 200
    assert_sent_to_sign_in(other_desk.get(PROTECTED))
    # The rotated key is in the session register, so deactivation still reaches this session.
    assert UserSession.objects.filter(user=user, session_key=session_key(client)).exists()
    user.refresh_from_db()
    user.is_active = False
    user.save()
    assert_sent_to_sign_in(client.get(PROTECTED))


def test_sign_in_forgets_sessions_that_expired_meanwhile(client):
    user = UserFactory()
    stale = Client()
    sign_in(stale, user)
    stale_key = session_key(stale)
    Session.objects.filter(session_key=stale_key).delete()  # expired and cleared by clearsessions
    sign_in(client, user)
    assert list(UserSession.objects.filter(user=user).values_list("session_key", flat=True)) == [session_key(client)]
