"""What the page beacon (static/shopstack/beacon.js) may send, and the checks it must pass.

The beacon cannot carry a CSRF token (navigator.sendBeacon sets no headers), so instead:
the browser must say the request is same-origin (Sec-Fetch-Site, or else Origin), the
body must be a small JSON object of exactly this shape, and each client address has a
rate. `sendBeacon` with a string sends `text/plain;charset=UTF-8`, the only type Chrome
lets it send without CORS, so that is the one type accepted.

    {"path": "/p/blue-mug/", "engaged_ms": 15230}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest

from shopstack.analytics.web import PATH_LIMIT

MAX_BODY_BYTES = 1024
# One beacon covers at most this much visible time: a tab left in view all day is not a
# day of reading.
MAX_ENGAGED_MS = 30 * 60 * 1000
CONTENT_TYPES = frozenset({"text/plain"})


@dataclass(frozen=True)
class Engagement:
    path: str
    engaged_ms: int


@dataclass
class BeaconRefused(Exception):
    status: int
    code: str
    message: str
    fields: dict[str, list[str]] = field(default_factory=dict)


def same_origin(request: HttpRequest) -> bool:
    """Whether the browser says this request comes from one of the shop's own pages."""
    site = request.META.get("HTTP_SEC_FETCH_SITE")
    if site is not None:
        return site == "same-origin"
    origin = request.META.get("HTTP_ORIGIN")
    if not origin:
        return False
    own = f"{'https' if request.is_secure() else 'http'}://{request.get_host()}"
    return origin == own or origin in settings.CSRF_TRUSTED_ORIGINS


def engagement_read(*, content_type: str, charset: str | None, body: bytes) -> Engagement:
    """The beacon's report, or BeaconRefused naming what is wrong (nothing is recorded)."""
    if content_type not in CONTENT_TYPES or (charset or "utf-8").lower() != "utf-8":
        raise BeaconRefused(
            415, "unsupported_media_type", "Send the beacon as text/plain;charset=UTF-8.",
            {"Content-Type": ["Must be text/plain;charset=UTF-8."]},
        )  # fmt: skip
    if len(body) > MAX_BODY_BYTES:
        raise BeaconRefused(
            413, "too_large", "The beacon is too large.", {"body": [f"At most {MAX_BODY_BYTES} bytes."]}
        )
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BeaconRefused(
            400, "invalid", "The beacon is not JSON.", {"body": ["Send a JSON object."]}
        ) from None
    if not isinstance(data, dict):
        raise BeaconRefused(
            400, "invalid", "The beacon is not a JSON object.", {"body": ["Send a JSON object."]}
        )
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(data) - {"path", "engaged_ms"})
    for name in unknown:
        errors[name[:40]] = ["Not a field of the beacon."]
    path = data.get("path")
    if (
        not isinstance(path, str)
        or not path.startswith("/")
        or path.startswith("//")
        or len(path) > PATH_LIMIT
    ):
        errors["path"] = [f"The page's path: text starting with one /, at most {PATH_LIMIT} characters."]
    elif any(ord(character) < 32 or ord(character) == 127 for character in path):
        errors["path"] = ["The path may not hold control characters."]
    engaged = data.get("engaged_ms")
    if isinstance(engaged, bool) or not isinstance(engaged, int) or engaged < 0:
        errors["engaged_ms"] = ["Milliseconds the page was visible: a whole number, 0 or more."]
    if errors:
        raise BeaconRefused(400, "invalid", "The beacon is not valid.", errors)
    assert isinstance(path, str)
    assert isinstance(engaged, int)
    return Engagement(path=path.split("?", 1)[0].split("#", 1)[0], engaged_ms=min(engaged, MAX_ENGAGED_MS))
