"""A plain HTTP client for tests that drive a running server as a mobile app would: JSON in
and out, no cookies, every answer (errors included) returned rather than raised."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

API = "/api/v1"


@dataclass
class Answer:
    status: int  # 0: no HTTP answer at all (connection refused or dropped, timeout)
    body: Any
    headers: dict[str, str]  # names in lower case (servers differ in how they spell them)


def call(
    base: str,
    method: str,
    path: str,
    payload: Any = None,
    headers: dict[str, str] | None = None,
    *,
    prefix: str = API,
    timeout: float = 60,
) -> Answer:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(
        f"{base}{prefix}{path}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json", "Accept": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw, status, got = response.read(), response.status, response.headers
    except urllib.error.HTTPError as error:
        raw, status, got = error.read(), error.code, error.headers
    except (OSError, urllib.error.URLError) as error:
        return Answer(0, str(error), {})
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode(errors="replace")[:500]
    return Answer(status, body, {name.lower(): value for name, value in got.items()})
