"""URLs of views worked out once per process: the address depends only on the name, the URL configuration and
the script prefix (and, for a view that takes ids, on the ids, which are put into a pattern reversed once).

`reverse()` resolves the name again on every call, some 50 microseconds: the navigation names twenty URLs on every
page, and a list of 25 patients links each one.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

# Stand-ins an <int:...> converter accepts and a URL is not otherwise expected to hold; each must appear once.
_STAND_INS = (918_273_645, 918_273_646, 918_273_647)


@functools.lru_cache(maxsize=256)
def _pattern(name: str, arity: int, urlconf: str, prefix: str) -> tuple[str, ...] | None:
    """The URL split around its ids' places, or None when the stand-ins cannot be told apart in it."""
    stand_ins = _STAND_INS[:arity]
    url = reverse(name, urlconf=urlconf, args=stand_ins)
    parts = []
    for stand_in in map(str, stand_ins):
        if url.count(stand_in) != 1:
            return None
        head, url = url.split(stand_in)
        parts.append(head)
    return (*parts, url)


def link(name: str, *ids: int) -> str:
    """`reverse(name, args=ids)` for whole-number ids, from a pattern kept per process."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    whole = len(ids) <= len(_STAND_INS) and all(type(value) is int and value >= 0 for value in ids)
    parts = _pattern(name, len(ids), urlconf, get_script_prefix()) if whole else None
    if parts is None:
        return reverse(name, urlconf=urlconf, args=ids)
    return parts[0] + "".join(str(value) + part for value, part in zip(ids, parts[1:], strict=True))
