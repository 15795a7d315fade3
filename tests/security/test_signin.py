"""Sign-in throttling per account and address, password rules, and no default accounts in production."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core import checks
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from infusion_center.checks import check_no_demo_accounts
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery-staple"
User = get_user_model()


def sign_in(username: str, password: str, ip: str):
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR=ip)
    return authenticate(request=request, username=username, password=password)


@pytest.mark.django_db
def test_failures_lock_the_account_from_that_address_only(settings):
    limit = settings.AXES_FAILURE_LIMIT
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    clinic_nat = "203.0.113.7"

    for _ in range(limit):
        assert sign_in("alice", "wrong-password", clinic_nat) is None

    # The right password no longer works for alice from this address...
    assert sign_in("alice", PASSWORD, clinic_nat) is None
    # ...but bob, behind the same address, still signs in,
    assert sign_in("bob", PASSWORD, clinic_nat) == bob
    # and alice can still sign in from another address.
    assert sign_in("alice", PASSWORD, "198.51.100.20") == alice
    assert AccessAttempt.objects.filter(username="alice", ip_address=clinic_nat).exists()


@pytest.mark.django_db
def test_fewer_failures_than_the_limit_do_not_lock(settings):
    user = UserFactory(username="carol")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in("carol", "wrong-password", "203.0.113.8") is None
    assert sign_in("carol", PASSWORD, "203.0.113.8") == user


def test_lockout_is_by_username_and_address(settings):
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_COOLOFF_TIME, "locked accounts unlock by themselves after the cool-off"


@pytest.mark.parametrize(
    "password",
    [
        "short-pw-11",  # 11 characters
        "q1w2e3r4t5y6",  # long enough but a common password
        "qwerty123456",
    ],
)
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


@pytest.mark.parametrize(
    "password",
    [
        "lanterns by the river",  # lowercase letters and spaces only: no composition rules
        "aaaaaaaaaaaaa",  # twelve-plus characters, no digit, no capital, no symbol
        "123456789012354",  # digits only
    ],
)
def test_long_uncommon_passwords_are_accepted_without_composition_rules(password):
    validate_password(password)


def test_minimum_length_is_twelve():
    with pytest.raises(ValidationError):
        validate_password("kdjfhgyrtuw")  # 11
    validate_password("kdjfhgyrtuwz")  # 12


@pytest.mark.django_db
def test_migrations_create_no_users():
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_demo_accounts_are_an_error_in_production(settings):
    settings.DEBUG = False
    settings.DEMO_ACCOUNTS_ALLOWED = False
    assert check_no_demo_accounts(databases=["default"]) == []

    UserFactory(username="demo-nurse")
    errors = check_no_demo_accounts(databases=["default"])
    assert [e.id for e in errors] == ["infusion_center.E001"]
    assert "demo-nurse" in errors[0].msg
    # registered with Django's checks, so `check --database default` and `migrate` report it
    assert "infusion_center.E001" in [e.id for e in checks.run_checks(databases=["default"])]


@pytest.mark.django_db
def test_demo_accounts_are_fine_in_development_or_when_deactivated(settings):
    user = UserFactory(username="demo-scheduler")
    settings.DEBUG = True
    assert check_no_demo_accounts(databases=["default"]) == []
    settings.DEBUG = False
    settings.DEMO_ACCOUNTS_ALLOWED = True
    assert check_no_demo_accounts(databases=["default"]) == []
    settings.DEMO_ACCOUNTS_ALLOWED = False
    user.is_active = False
    user.save()
    assert check_no_demo_accounts(databases=["default"]) == []


@pytest.mark.django_db
def test_ordinary_usernames_do_not_trip_the_demo_check(settings):
    settings.DEBUG = False
    UserFactory(username="demoreen")  # a real name that starts with "demo" but not the demo prefix
    assert check_no_demo_accounts(databases=["default"]) == []
