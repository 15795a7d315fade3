"""Sign-in behind a proxy: the real client address, lock-outs per username and address, per-address rate
limits answered before any password is hashed, reset emails queued, and managers lifting lock-outs.

Found: axes keyed on REMOTE_ADDR, so behind the proxy five wrong passwords from anywhere locked the real nurse
out; random-username floods ran the password hasher without limit; reset was slower for a known email; the
documented unlock by managers did not exist.
"""

from __future__ import annotations

from types import SimpleNamespace
from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import LockoutRelease
from accounts.tasks import password_reset_send
from infusion_center import ratelimit
from infusion_center.client_ip import client_ip
from infusion_center.roles import NURSE
from tests.factories import UserFactory, staff

PASSWORD = "correct-horse-battery-staple"
PROXY = "10.0.0.2"


def request_from(remote: str, forwarded: str | None = None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return SimpleNamespace(META=meta)


# --- the client's address -----------------------------------------------------------------------------------


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXY_RANGES = 0, []
    assert client_ip(request_from("198.51.100.7", "203.0.113.99")) == "198.51.100.7"


def test_behind_one_proxy_the_client_is_the_hop_the_proxy_saw(settings):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXY_RANGES = 1, []
    assert client_ip(request_from(PROXY, "203.0.113.5")) == "203.0.113.5"
    # a client that writes its own X-Forwarded-For cannot choose its address
    assert client_ip(request_from(PROXY, "192.0.2.1, 203.0.113.5")) == "203.0.113.5"
    assert client_ip(request_from(PROXY)) == PROXY


def test_two_proxies_and_clinic_addresses(settings):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXY_RANGES = 2, []
    assert client_ip(request_from(PROXY, "192.0.2.1, 192.168.4.20, 10.0.0.9")) == "192.168.4.20"


def test_with_proxy_ranges_a_direct_connection_is_believed_as_it_is(settings):
    settings.TRUSTED_PROXY_COUNT, settings.TRUSTED_PROXY_RANGES = 1, ["10.0.0.0/8"]
    assert client_ip(request_from(PROXY, "203.0.113.5")) == "203.0.113.5"
    assert client_ip(request_from("198.51.100.7", "203.0.113.99")) == "198.51.100.7"


def test_proxy_settings_come_from_the_environment(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from infusion_center.env import env_networks

    monkeypatch.setenv("TRUSTED_PROXY_RANGES", "10.0.0.0/8, 192.0.2.7")
    assert env_networks("TRUSTED_PROXY_RANGES") == ["10.0.0.0/8", "192.0.2.7/32"]
    monkeypatch.setenv("TRUSTED_PROXY_RANGES", "10.0.0.0/8, nginx")
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXY_RANGES: 'nginx'"):
        env_networks("TRUSTED_PROXY_RANGES")


# --- lock-out per username and address, behind the proxy ----------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("login_path", ["/accounts/login/", "/admin/login/"])
def test_a_stranger_cannot_lock_a_nurse_out_from_elsewhere(client, settings, login_path):
    settings.TRUSTED_PROXY_COUNT = 1
    nurse = UserFactory(username="nina", is_staff=login_path.startswith("/admin"))
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        client.post(
            login_path,
            {"username": "nina", "password": "guess"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR="198.51.100.66",
        )
    assert AccessAttempt.objects.filter(username="nina", ip_address="198.51.100.66").exists()
    # the attacker's address is locked for nina...
    locked = client.post(
        login_path, {"username": "nina", "password": PASSWORD}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.66"
    )
    assert locked.status_code == 429
    # ...but nina, through the same proxy from the clinic, signs in.
    response = client.post(
        login_path, {"username": "nina", "password": PASSWORD}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5"
    )
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == nurse.pk


@pytest.mark.django_db
def test_the_access_log_records_the_client_behind_the_proxy(client, settings, records):
    from patients.models import PatientAccess

    settings.TRUSTED_PROXY_COUNT = 1
    client.force_login(UserFactory(username="root", is_superuser=True))
    client.get(f"/patients/{records['patient'].pk}/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert PatientAccess.objects.get().ip_address == "203.0.113.5"


# --- per-address rate limits -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sign_in_posts_over_the_limit_answer_429_before_any_password_is_hashed(client, settings):
    settings.SIGNIN_RATE_LIMIT = 3
    for n in range(3):
        response = client.post(
            "/accounts/login/", {"username": f"random{n}", "password": "x"}, REMOTE_ADDR="198.51.100.9"
        )
        assert response.status_code == 200  # the form again: wrong username or password
    with (
        mock.patch.object(MD5PasswordHasher, "encode", autospec=True) as encode,
        mock.patch.object(MD5PasswordHasher, "verify", autospec=True) as verify,
    ):
        response = client.post("/accounts/login/", {"username": "random9", "password": "x"}, REMOTE_ADDR="198.51.100.9")
        admin_response = client.post(
            "/admin/login/", {"username": "random9", "password": "x"}, REMOTE_ADDR="198.51.100.9"
        )
    assert response.status_code == admin_response.status_code == 429
    assert encode.call_count == verify.call_count == 0
    assert "Too many attempts" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    # another address is not slowed down
    assert (
        client.post("/accounts/login/", {"username": "x", "password": "x"}, REMOTE_ADDR="203.0.113.1").status_code
        == 200
    )


@pytest.mark.django_db
def test_password_reset_posts_are_limited_per_address(client, settings):
    settings.PASSWORD_RESET_RATE_LIMIT = 2
    with mock.patch.object(password_reset_send, "apply_async"):
        for _ in range(2):
            assert (
                client.post(
                    "/accounts/password_reset/", {"email": "a@b.example"}, REMOTE_ADDR="198.51.100.9"
                ).status_code
                == 302
            )
        response = client.post("/accounts/password_reset/", {"email": "a@b.example"}, REMOTE_ADDR="198.51.100.9")
    assert response.status_code == 429
    assert "password-reset requests" in response.content.decode()


@pytest.mark.parametrize("backend", ["locmem", "redis"])
def test_the_limiter_counts_on_the_memory_cache_and_on_redis(settings, backend):
    if backend == "redis":
        if not settings.REDIS_URL:
            pytest.skip("needs REDIS_URL")
        config = {
            "BACKEND": "infusion_center.cache.PrefixedRedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": "rl-test",
        }
    else:
        config = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rl-test"}
    settings.CACHES = {**settings.CACHES, ratelimit.CACHE_ALIAS: config}
    caches[ratelimit.CACHE_ALIAS].clear()
    limit = ratelimit.Limit("test", 3, 60)
    now = 1_000_040.0
    assert [ratelimit.hit(limit, "198.51.100.1", now=now) for _ in range(4)] == [0, 0, 0, 40]
    assert ratelimit.hit(limit, "198.51.100.2", now=now) == 0  # per address
    assert ratelimit.hit(limit, "198.51.100.1", now=now + 60) == 0  # the next window starts afresh
    caches[ratelimit.CACHE_ALIAS].clear()


def test_clearing_the_redis_limiter_cache_keeps_other_keys(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL")
    import redis

    other = redis.Redis.from_url(settings.REDIS_URL)
    other.set("not-a-limiter-key", "queued work")
    config = {
        "BACKEND": "infusion_center.cache.PrefixedRedisCache",
        "LOCATION": settings.REDIS_URL,
        "KEY_PREFIX": "rl-test",
    }
    settings.CACHES = {**settings.CACHES, ratelimit.CACHE_ALIAS: config}
    caches[ratelimit.CACHE_ALIAS].set("k", 1)
    caches[ratelimit.CACHE_ALIAS].clear()
    assert caches[ratelimit.CACHE_ALIAS].get("k") is None
    assert other.get("not-a-limiter-key") == b"queued work"
    other.delete("not-a-limiter-key")


# --- password reset: queued, the same work for any address --------------------------------------------------


@pytest.mark.django_db
def test_reset_does_the_same_work_for_known_and_unknown_addresses(client, django_capture_on_commit_callbacks):
    UserFactory(username="nina", email="nina@center.example")
    counts = {}
    with mock.patch.object(password_reset_send, "apply_async") as queued:
        for email in ("nina@center.example", "nobody@center.example"):
            with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
                response = client.post("/accounts/password_reset/", {"email": email})
            assert response.status_code == 302
            counts[email] = [q["sql"].split(" ")[0] for q in queries.captured_queries]
    assert counts["nina@center.example"] == counts["nobody@center.example"]
    assert not any("auth_user" in q for q in counts["nina@center.example"])
    assert mail.outbox == []  # nothing is sent inside the request
    assert queued.call_count == 2
    sent = [password_reset_send(**call.kwargs["kwargs"]) for call in queued.call_args_list]
    assert sent == [1, 0]
    assert [m.to for m in mail.outbox] == [["nina@center.example"]]


# --- managers lift lock-outs --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_manager_sees_and_lifts_a_lock_out_and_it_is_recorded(client, manager, settings):
    nurse = UserFactory(username="nina")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "nina", "password": "guess"}, REMOTE_ADDR="203.0.113.5")
    assert (
        client.post(
            "/accounts/login/", {"username": "nina", "password": PASSWORD}, REMOTE_ADDR="203.0.113.5"
        ).status_code
        == 429
    )

    client.force_login(manager)
    page = client.get("/accounts/lockouts/")
    assert page.status_code == 200
    assert "nina" in page.content.decode() and "Locked until" in page.content.decode()
    attempt = AccessAttempt.objects.get(username="nina")
    response = client.post(f"/accounts/lockouts/{attempt.pk}/clear/", REMOTE_ADDR="198.51.100.20")
    assert response.status_code == 302
    release = LockoutRelease.objects.get()
    assert (release.username, release.ip_address, release.released_by, release.released_from) == (
        "nina",
        "203.0.113.5",
        manager,
        "198.51.100.20",
    )
    assert release.failures >= settings.AXES_FAILURE_LIMIT
    assert "lifted nina" in client.get("/accounts/lockouts/").content.decode()

    client.logout()
    response = client.post("/accounts/login/", {"username": "nina", "password": PASSWORD}, REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 302 and int(client.session["_auth_user_id"]) == nurse.pk


@pytest.mark.django_db
def test_only_managers_see_or_lift_lock_outs(client):
    UserFactory(username="nina")
    client.post("/accounts/login/", {"username": "nina", "password": "guess"}, REMOTE_ADDR="203.0.113.5")
    attempt = AccessAttempt.objects.get()
    client.force_login(staff(NURSE, username="nora-nurse"))
    assert client.get("/accounts/lockouts/").status_code == 403
    assert client.post(f"/accounts/lockouts/{attempt.pk}/clear/").status_code == 403
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()
    assert not LockoutRelease.objects.exists()
