"""`{% link 'name' %}`: the URL of a view that takes no arguments, worked out once per process.

The navigation on every page names some twenty such URLs; `{% url %}` resolves each one again on every request
(a tenth of a cached chair board's time). The address depends only on the name, the URL configuration and the
script prefix, so those are the key.
"""

from __future__ import annotations

import functools

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()


@functools.lru_cache(maxsize=256)
def _reverse(name: str, urlconf: str | None, prefix: str) -> str:
    return reverse(name, urlconf=urlconf)


@register.simple_tag
def link(name: str) -> str:
    return _reverse(name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
