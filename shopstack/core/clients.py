"""Who is asking: the client address that every per-client limit counts against."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's IP address, as sign-in limits, API throttles, order lookups and voucher
    attempts all count it.

    With no trusted proxies (TRUSTED_PROXY_COUNT=0, the default) it is REMOTE_ADDR, and an
    X-Forwarded-For header is ignored: the client writes it, so trusting it would give each
    forged value a fresh allowance. Behind N proxies, each appending the address it saw,
    the client is the Nth entry from the right; a request with fewer entries did not come
    through them all, and is counted by REMOTE_ADDR. IPv6 clients are counted by their /64,
    which one subscriber usually holds whole."""
    address = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    return _normalised(address)


# Parsed once per address and process: the collector asks on every page of a visitor
# counted anonymously, and a parse costs a few microseconds.
@lru_cache(maxsize=4096)
def _normalised(address: str) -> str:
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False).network_address) + "/64"
    return str(parsed)
