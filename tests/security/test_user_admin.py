"""Managers administer staff accounts without being able to take any over or raise anyone's rights.

Found: with `auth.change_user` and Django's stock user admin a manager could tick "superuser", add groups and
single permissions, and set another user's password, then sign in as them.
"""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.urls import reverse

from accounts.tasks import password_reset_send
from infusion_center.roles import DRUG_ADMIN, MANAGER, NURSE
from tests.factories import UserFactory, staff
from tests.security.admin_helpers import data_fingerprint, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client, manager):
    manager.is_staff = True
    manager.save()
    client.force_login(manager)
    return client


def _change_url(user):
    return reverse("admin:auth_user_change", args=[user.pk])


def _escalating_post(client, target, **extra):
    page = client.get(_change_url(target))
    data = form_data(page)
    data.update(
        {
            "is_superuser": "on",
            "is_staff": "on",
            "user_permissions": [str(p.pk) for p in Permission.objects.filter(codename__startswith="change_")[:5]],
            **extra,
        }
    )
    return client.post(_change_url(target), data)


def test_a_manager_cannot_make_a_nurse_superuser_or_give_single_permissions(manager_client):
    nurse = staff(NURSE, username="nina-nurse")
    response = _escalating_post(manager_client, nurse, groups=[str(Group.objects.get(name=NURSE).pk)])
    assert response.status_code == 302
    nurse.refresh_from_db()
    assert not nurse.is_superuser
    assert not nurse.is_staff  # admin access follows the roles: a nurse has none
    assert not nurse.user_permissions.exists()


def test_a_manager_cannot_give_the_manager_role(manager_client):
    nurse = staff(NURSE, username="nina-nurse")
    response = _escalating_post(manager_client, nurse, groups=[str(Group.objects.get(name=MANAGER).pk)])
    assert response.status_code == 200  # the form says the choice is not valid
    assert "groups" in response.context["adminform"].form.errors
    assert list(nurse.groups.values_list("name", flat=True)) == [NURSE]


def test_a_drug_admin_role_given_by_a_manager_brings_admin_access_and_nothing_more(manager_client):
    nurse = staff(NURSE, username="nina-nurse")
    _escalating_post(manager_client, nurse, groups=[str(Group.objects.get(name=DRUG_ADMIN).pk)])
    nurse.refresh_from_db()
    assert nurse.is_staff and not nurse.is_superuser
    assert list(nurse.groups.values_list("name", flat=True)) == [DRUG_ADMIN]


@pytest.mark.parametrize("target_kind", ["superuser", "other manager", "themself", "single permissions"])
def test_a_manager_cannot_change_protected_accounts(manager_client, manager, target_kind):
    if target_kind == "superuser":
        target = UserFactory(username="root", is_staff=True, is_superuser=True)
    elif target_kind == "other manager":
        target = staff(MANAGER, username="max-manager", is_staff=True)
    elif target_kind == "themself":
        target = manager
    else:
        target = UserFactory(username="special")
        target.user_permissions.add(Permission.objects.get(codename="change_drug"))
    page = manager_client.get(_change_url(target))
    assert page.status_code == 200  # they may see the account
    assert 'name="_save"' not in page.content.decode()
    before = data_fingerprint()
    response = manager_client.post(
        _change_url(target),
        {"username": "taken-over", "email": "attacker@example.com", "is_active": "on", "is_superuser": "on"},
    )
    assert response.status_code == 403
    assert data_fingerprint() == before


@pytest.mark.parametrize("target_kind", ["nurse", "superuser"])
def test_a_manager_cannot_set_any_password(manager_client, target_kind):
    target = (
        staff(NURSE, username="nina-nurse")
        if target_kind == "nurse"
        else UserFactory(username="root", is_superuser=True, is_staff=True)
    )
    url = reverse("admin:auth_user_password_change", args=[target.pk])
    assert manager_client.get(url).status_code == 403
    old_hash = target.password
    response = manager_client.post(url, {"password1": "a-new-password-123", "password2": "a-new-password-123"})
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.password == old_hash


def test_the_email_of_an_account_with_a_password_is_fixed_for_managers(manager_client):
    """Otherwise a manager could point the account at their own address and send themself the reset link."""
    nurse = staff(NURSE, username="nina-nurse", email="nina@center.example")
    data = form_data(manager_client.get(_change_url(nurse)))
    data["email"] = "attacker@example.com"
    manager_client.post(_change_url(nurse), data)
    nurse.refresh_from_db()
    assert nurse.email == "nina@center.example"


def test_a_manager_adds_an_account_without_a_password_and_sends_a_reset_link(
    manager_client, django_capture_on_commit_callbacks
):
    page = manager_client.get(reverse("admin:auth_user_add"))
    assert page.status_code == 200
    assert "password1" not in page.context["adminform"].form.fields
    assert "is_superuser" not in page.context["adminform"].form.fields
    with (
        mock.patch.object(password_reset_send, "apply_async") as queued_at_creation,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = manager_client.post(
            reverse("admin:auth_user_add"),
            {
                "username": "new-nurse",
                "first_name": "Nell",
                "last_name": "Ng",
                "email": "nell@center.example",
                "groups": [str(Group.objects.get(name=NURSE).pk)],
                "is_superuser": "on",
                "password1": "chosen-by-the-manager-1",
                "password2": "chosen-by-the-manager-1",
            },
        )
    assert response.status_code == 302
    assert queued_at_creation.call_count == 1  # the new account's owner gets a link at once
    user = get_user_model().objects.get(username="new-nurse")
    assert not user.has_usable_password()
    assert not user.is_superuser and not user.is_staff

    with (
        mock.patch.object(password_reset_send, "apply_async") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        manager_client.post(
            reverse("admin:auth_user_changelist"),
            {"action": "send_password_reset_link", "_selected_action": [str(user.pk)]},
        )
    assert queued.call_count == 1
    assert mail.outbox == []  # queued, not sent inside the request
    password_reset_send(**queued.call_args.kwargs["kwargs"])
    assert [m.to for m in mail.outbox] == [["nell@center.example"]]
    assert "/accounts/reset/" in mail.outbox[0].body

    # the owner follows the link and chooses a password; the manager never knew one
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    manager_client.logout()
    set_password_page = manager_client.get(link, follow=True)
    response = manager_client.post(
        set_password_page.redirect_chain[-1][0],
        {"new_password1": "owner-chose-this-one", "new_password2": "owner-chose-this-one"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("owner-chose-this-one")
