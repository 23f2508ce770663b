"""Conditional GETs and the shared cache of rendered answers.

Each answer is keyed by a version that is cheap to read before any real work (a
product's `updated_at`, the catalog's latest change): the version gives the ETag, a 304
when the client already holds it, and the cache key of the JSON bytes otherwise.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags

from shopstack.api.auth import client_user
from shopstack.api.errors import JSON
from shopstack.core.page_cache import page_cache

# Bump when the shape of an answer changes, so cached bytes and ETags of the old shape
# are never served again.
FORMAT = "1"
MAX_AGE = 60


def stamp(moment: datetime | None) -> str:
    return "0" if moment is None else f"{moment.timestamp():.6f}"


def make_etag(*parts: str) -> str:
    digest = hashlib.blake2b("|".join((FORMAT, *parts)).encode(), digest_size=12).hexdigest()
    return f'"{digest}"'


def cache_control(request: HttpRequest) -> str:
    # The catalog is the same for everyone, but answers to credentialed requests stay out
    # of shared caches.
    if client_user(request) is None:
        return f"public, max-age={MAX_AGE}"
    return f"private, max-age={MAX_AGE}"


def client_has(request: HttpRequest, etag: str) -> bool:
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    if header.strip() == "*":
        return True
    # Weak comparison, as RFC 9110 asks for If-None-Match.
    return any(tag.removeprefix("W/") == etag for tag in parse_etags(header))


def _finish(response: HttpResponse, request: HttpRequest, etag: str) -> HttpResponse:
    response["ETag"] = etag
    response["Cache-Control"] = cache_control(request)
    return response


def conditional_json(
    request: HttpRequest, etag: str, cache_key: str | None, render: Callable[[], Any]
) -> HttpResponse:
    """304 if the client holds `etag`; else the cached bytes; else `render()` them once.
    With no `cache_key` the body is rendered for every request that is not a 304."""
    if client_has(request, etag):
        return _finish(HttpResponseNotModified(), request, etag)
    answers = page_cache()
    body = answers.get(cache_key) if cache_key is not None else None
    if body is None:
        body = json.dumps(render(), separators=(",", ":"), ensure_ascii=False).encode()
        if cache_key is not None:
            answers.set(cache_key, body, settings.PAGE_CACHE_SECONDS)
    return _finish(HttpResponse(body, content_type=JSON), request, etag)
