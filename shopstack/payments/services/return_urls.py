"""Where a payment may send the shopper back.

The gateway sends the shopper back to the return URL with a card token in the query
string, and whoever holds the token can pay with it. A return URL is therefore accepted
only on the shop's own origins (the one the request came in on, and
PAYMENT_RETURN_ORIGINS) or on an app link scheme in PAYMENT_RETURN_SCHEMES; anything
else would let a payment link hand a shopper's card to another site.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

from django.conf import settings

from shopstack.core.errors import ValidationFailed

MAX_RETURN_URL_LENGTH = 500  # what the gateway stores
WEB_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}


def payment_return_schemes() -> frozenset[str]:
    """The app link schemes (e.g. `myapp`) a payment may return to, besides http(s)."""
    return frozenset(scheme.lower() for scheme in settings.PAYMENT_RETURN_SCHEMES) - WEB_SCHEMES


def _web_origin(parts: SplitResult) -> str | None:
    """`scheme://host[:port]` with the default port left out, or None for anything that
    is not a plain http(s) URL with a host (userinfo, a bad port, no host)."""
    scheme = parts.scheme.lower()
    if scheme not in WEB_SCHEMES or "@" in parts.netloc or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname  # lower-cased, IPv6 brackets removed
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" if port in (None, DEFAULT_PORTS[scheme]) else f"{scheme}://{host}:{port}"


def payment_return_origin(url: str) -> str | None:
    """The normalised origin of an http(s) URL, or None when it is not one."""
    try:
        return _web_origin(urlsplit(url))
    except ValueError:
        return None


def _refused(reason: str) -> ValidationFailed:
    return ValidationFailed(
        "The return URL is not allowed.", code="return_url_not_allowed", fields={"return_url": [reason]}
    )


def payment_return_url_check(*, url: str, shop_origin: str) -> str:
    """`url` if a payment may send the shopper back there, else ValidationFailed on
    `return_url`. `shop_origin` is the origin the shop was asked on (its host already
    passed ALLOWED_HOSTS)."""
    if not url or len(url) > MAX_RETURN_URL_LENGTH:
        raise _refused(f"Give an absolute URL of at most {MAX_RETURN_URL_LENGTH} characters.")
    # Browsers read a backslash as a slash and drop tabs and newlines, so such a URL can
    # lead somewhere other than where it seems to.
    if "\\" in url or any(ch.isspace() or not ch.isprintable() for ch in url):
        raise _refused("The URL has a backslash, a space or a control character.")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise _refused("The URL cannot be read.") from None
    scheme = parts.scheme.lower()
    if scheme in payment_return_schemes():
        return url
    allowed = {payment_return_origin(origin) for origin in [shop_origin, *settings.PAYMENT_RETURN_ORIGINS]}
    origin = _web_origin(parts)
    if origin is None or origin not in allowed - {None}:
        schemes = ", ".join(f"{name}://" for name in sorted(payment_return_schemes()))
        also = f" or an app link ({schemes})" if schemes else ""
        raise _refused(f"Give a URL on this shop's own site{also}.")
    return url
