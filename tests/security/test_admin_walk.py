"""Walk every admin change, add, history, history-form, delete and password URL as each role.

Each role's user is made staff (the worst case: a role that is not meant for admin gets in anyway). A GET may
answer 200 only with a permission to see that page; a POST (the unchanged form a superuser would send back)
may change data only with the permission for that change; nobody but a superuser sets a password, and a
manager changes no superuser, manager or their own account. A new admin page is walked without touching
this test.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin import is_protected_account
from infusion_center.roles import MANAGER, NURSE, ROLE_PERMISSIONS
from tests.factories import UserFactory, staff
from tests.security.admin_helpers import data_fingerprint, form_data

pytestmark = pytest.mark.django_db
User = get_user_model()


def _targets(model, records):
    if model is User:
        return [
            UserFactory(username="walk-root", is_staff=True, is_superuser=True),
            staff(MANAGER, username="walk-other-manager", is_staff=True),
            staff(NURSE, username="walk-nurse"),
        ]
    obj = model._default_manager.order_by("pk").first()
    return [obj] if obj is not None else []


def _pages(model, model_admin, obj):
    """(view, url, permission actions that allow a GET, actions that allow a POST to change data)."""
    opts = model._meta
    name = f"admin:{opts.app_label}_{opts.model_name}"
    pages = [
        ("changelist", reverse(f"{name}_changelist"), {"view", "change"}, {"change"}),
        ("add", reverse(f"{name}_add"), {"add"}, {"add"}),
    ]
    if obj is None:
        return pages
    pages += [
        ("change", reverse(f"{name}_change", args=[obj.pk]), {"view", "change"}, {"change"}),
        ("history", reverse(f"{name}_history", args=[obj.pk]), {"view", "change"}, set()),
        ("delete", reverse(f"{name}_delete", args=[obj.pk]), {"delete"}, {"delete"}),
    ]
    if isinstance(model_admin, SimpleHistoryAdmin):
        version = obj.history.order_by("history_date", "history_id").first()
        if version is not None:
            url = reverse(f"{name}_simple_history", args=[obj.pk, version.history_id])
            pages.append(("history-form", url, {"view", "change"}, {"change"}))
    if model is User:
        pages.append(("password", reverse("admin:auth_user_password_change", args=[obj.pk]), set(), set()))
    return pages


def _allowed(user, model, actions) -> bool:
    opts = model._meta
    return any(user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}") for action in actions)


def _post_data(superuser_client, view, url):
    if view == "delete":
        return {"post": "yes"}
    if view == "password":
        return {"password1": "walked-in-password-1", "password2": "walked-in-password-1", "usable_password": "true"}
    if view == "changelist":
        return {}
    data = form_data(superuser_client.get(url))
    data["_save"] = "Save"
    return data


@pytest.mark.parametrize("role", sorted(ROLE_PERMISSIONS))
def test_no_role_gains_a_permission_it_lacks_in_admin(role, records):
    superuser = UserFactory(username="walk-superuser", is_staff=True, is_superuser=True)
    superuser_client = Client()
    superuser_client.force_login(superuser)
    acting = staff(role, username=f"walk-{role.lower().replace(' ', '-')}", is_staff=True)
    client = Client()
    client.force_login(acting)
    acting = User.objects.get(pk=acting.pk)  # fresh permission cache

    targets = {model: _targets(model, records) or [None] for model in admin.site._registry}
    baseline = data_fingerprint()
    problems, pages_walked, changes_made = [], 0, 0
    for model, model_admin in admin.site._registry.items():
        for target in targets[model]:
            for view, url, get_actions, post_actions in _pages(model, model_admin, target):
                pages_walked += 1
                response = client.get(url)
                if response.status_code == 200 and not _allowed(acting, model, get_actions):
                    problems.append(f"GET {url} answered 200 without {get_actions}")
                data = _post_data(superuser_client, view, url)
                with transaction.atomic():
                    response = client.post(url, data)
                    changed = data_fingerprint() != baseline
                    transaction.set_rollback(True)
                may_change = _allowed(acting, model, post_actions)
                if model is User and target is not None and view != "add":
                    may_change = may_change and not is_protected_account(target) and target.pk != acting.pk
                if changed:
                    changes_made += 1
                    if not may_change:
                        problems.append(f"POST {url} ({view}) changed data without {post_actions or 'superuser'}")
                if response.status_code >= 500:
                    problems.append(f"POST {url} answered {response.status_code}")
    assert pages_walked > 60
    assert problems == [], f"{role}:\n" + "\n".join(problems)
    if role == MANAGER:
        assert changes_made > 0, "the walk must be able to see a change (managers do change chairs and users)"
