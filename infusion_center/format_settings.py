"""Connects the formatting functions (infusion_center/formats.py, Django-free) to Django once the apps are ready:
the CENTER_DATE_ORDER and CENTER_CLOCK settings (read on every call, so override_settings applies), the active
time zone and ngettext."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import ngettext

from infusion_center import formats


def install() -> None:
    formats.configure(
        date_order=lambda: getattr(settings, "CENTER_DATE_ORDER", formats.DAY_MONTH),
        clock=lambda: getattr(settings, "CENTER_CLOCK", formats.CLOCK_24),
        localtime=timezone.localtime,
        ngettext=ngettext,
    )
