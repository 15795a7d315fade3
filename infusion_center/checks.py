"""System checks for production: no demo accounts.

The demo command creates its users with usernames starting with `demo-`. With DEBUG off, an active such account
is an error (a well-known username with a published password), unless `DEMO_ACCOUNTS_ALLOWED` is set for a
demonstration server. The check queries the database, so it runs with `check --database default` and
before `migrate`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.checks import Error
from django.db import DatabaseError

DEMO_USERNAME_PREFIX = "demo-"


def check_no_demo_accounts(app_configs=None, databases=None, **kwargs) -> list[Error]:
    if settings.DEBUG or getattr(settings, "DEMO_ACCOUNTS_ALLOWED", False) or not databases:
        return []
    errors = []
    user_model = get_user_model()
    for alias in databases:
        try:
            names = list(
                user_model._default_manager.using(alias)
                .filter(username__startswith=DEMO_USERNAME_PREFIX, is_active=True)
                .values_list("username", flat=True)[:5]
            )
        except DatabaseError:
            continue  # not migrated yet: there are no users
        if names:
            errors.append(
                Error(
                    f"Demo accounts exist in production: {', '.join(names)}.",
                    hint="Delete them (or deactivate them) before going live; demo data is for demonstrations only.",
                    id="infusion_center.E001",
                )
            )
    return errors
