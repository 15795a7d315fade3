"""The client's address, as the trusted reverse proxies in front of the app report it.

With no trusted proxy configured (TRUSTED_PROXY_COUNT=0 and no TRUSTED_PROXY_RANGES) the address is the
connection's own (REMOTE_ADDR) and X-Forwarded-For is ignored: anybody can send that header. Behind proxies,
each proxy appends the address it was reached from; the client is the hop just before the trusted proxies
(django-ipware picks it from the chain, the connecting proxy included). Hops a client wrote itself further left
are never believed. When TRUSTED_PROXY_RANGES is set, a connection that does not come from those ranges is a
direct client, whatever its headers say.
"""

from __future__ import annotations

import ipaddress
from types import SimpleNamespace

from django.conf import settings
from ipware import get_client_ip


def _from_trusted_proxy(remote: str) -> bool:
    ranges = settings.TRUSTED_PROXY_RANGES
    if not ranges:
        return True
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in ranges)


def client_ip(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.TRUSTED_PROXY_COUNT or (1 if settings.TRUSTED_PROXY_RANGES else 0)
    if not proxies or not _from_trusted_proxy(remote):
        return remote or None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").strip()
    if not forwarded:
        return remote or None
    # The full chain as the app sees it: what the proxies forwarded, then the connecting proxy itself.
    chain = SimpleNamespace(META={"HTTP_X_FORWARDED_FOR": f"{forwarded}, {remote}"})
    address, _routable = get_client_ip(
        chain, proxy_count=proxies, request_header_order=["HTTP_X_FORWARDED_FOR"], strict=False
    )
    return address or remote or None
