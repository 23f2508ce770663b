"""Conditional requests and a shared page cache for storefront pages.

A page declares the catalog version it shows (a cheap raw query) and the query
parameters that change it. From that version, the path and those parameters (in name
order, empty ones left out) we derive both the ETag and the cache key, so:

- a client holding the current ETag gets 304 before anything else is loaded;
- any web process (locmem on the embedded tier, Redis when scaled out) can serve the
  rendered HTML of another;
- a price, stock or product change moves `updated_at`, hence the version, hence the
  key: nothing has to be deleted from the cache;
- parameters that do not change the page (`utm_*`, `gclid`, `fbclid`, any unknown name)
  share the page's one entry and ETag, so unique links cannot fill the cache (which sits
  beside the sessions). A page whose render ignored part of what was asked (an unknown
  filter value) calls `do_not_store`: it is answered, not kept.

Cached pages must not depend on the user: they never read the session or the user, and
the cached body is the same for everyone.

The product page's add-to-cart form carries no CSRF token in its HTML: without
JavaScript it asks by GET for a small confirmation page that has one, and with htmx the
POST takes the token from the CSRF cookie (static/shopstack/csrf.js), which the header's
mini-cart request sets. So even pages with a form stay one body for every visitor.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from functools import cache, lru_cache
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, urlencode

from shopstack.core.page_cache import page_cache

# Bump to drop every cached page and ETag when the cached value's shape changes.
CACHE_FORMAT = 1
_SHOPSTACK = Path(__file__).resolve().parent.parent


@cache
def release_token() -> str:
    """A digest of the templates and static files that shape a page.

    A deploy that changes the markup must not keep answering 304 to old ETags, or serve
    HTML cached by the previous release from a shared Redis. Computed once per process.
    """
    digest = hashlib.sha256(str(CACHE_FORMAT).encode())
    for folder in (_SHOPSTACK / "templates", _SHOPSTACK / "static" / "shopstack"):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "vendor" not in path.parts:
                digest.update(str(path.relative_to(folder)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def page_query(request: HttpRequest, params: Collection[str]) -> str:
    """The request's query string cut to the parameters that change the page (`params`),
    in name order, without empty values; a name's values keep their order (a page that reads
    one value reads the last)."""
    query = request.GET
    if not query:
        return ""
    names = sorted(name for name in query if name in params)
    pairs = [(name, value) for name in names for value in query.getlist(name) if value]
    return urlencode(pairs)


def _page_fingerprint(request: HttpRequest, page: str, version: str, variant: str, query: str) -> str:
    raw = "|".join((release_token(), page, version, variant, request.path, query))
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


def do_not_store(response: HttpResponse) -> HttpResponse:
    """Answer this response but keep it out of the page cache: the render ignored part of
    the request (an unknown filter value), so its URL is not one the cache should hold."""
    response._shopstack_do_not_store = True  # type: ignore[attr-defined]
    return response


def _stamp(
    response: HttpResponse, etag: str, last_modified: datetime | None, varies: tuple[str, ...]
) -> None:
    # Plain header writes: this runs on every cached page, where patch_cache_control's
    # parsing of an empty header would be a measurable share of the request.
    headers = response.headers
    headers["ETag"] = etag
    if last_modified is not None:
        headers["Last-Modified"] = _http_date(last_modified)
    # Browsers revalidate every time; the answer is usually a cheap 304.
    headers["Cache-Control"] = "max-age=0, must-revalidate"
    if varies:
        patch_vary_headers(response, list(varies))


@lru_cache(maxsize=256)
def _http_date(stamp: datetime) -> str:
    return http_date(stamp.timestamp())


def _is_conditional(request: HttpRequest) -> bool:
    meta = request.META
    return "HTTP_IF_NONE_MATCH" in meta or "HTTP_IF_MODIFIED_SINCE" in meta


def cached_page(
    request: HttpRequest,
    *,
    page: str,
    version: str,
    last_modified: datetime | None,
    render: Callable[[], HttpResponse],
    variant: str = "full",
    varies: tuple[str, ...] = (),
    params: Collection[str] = frozenset(),
) -> HttpResponse:
    """Answer with 304, a cached body or a freshly rendered one, in that order of cost.

    `page` names the kind of page, `version` is what its content depends on, `params` names
    the query parameters that change it (`render` must read no other), `variant` separates
    bodies that share a URL (an htmx fragment and the full page) and `varies` names the
    request headers that choose between them. Only 200 answers are cached; `render` may
    return anything else (400, 404) uncached, or a 200 marked by `do_not_store`.
    """
    last_modified = aware(last_modified)
    fingerprint = _page_fingerprint(request, page, version, variant, page_query(request, params))
    etag = f'"{fingerprint}"'
    if _is_conditional(request):
        headers_only = HttpResponse()
        _stamp(headers_only, etag, last_modified, varies)
        not_modified = get_conditional_response(
            request,
            etag=etag,
            last_modified=int(last_modified.timestamp()) if last_modified else None,
            response=headers_only,
        )
        if not_modified is not headers_only:
            return not_modified

    key = f"storefront:page:{fingerprint}"
    pages = page_cache()
    stored = pages.get(key)
    if stored is not None:
        content, content_type = stored
        response = HttpResponse(content, content_type=content_type)
        response.headers["X-Page-Cache"] = "hit"
    else:
        response = render()
        if response.status_code != 200 or getattr(response, "_shopstack_do_not_store", False):
            patch_vary_headers(response, list(varies))
            return response
        pages.set(key, (response.content, response["Content-Type"]), settings.PAGE_CACHE_SECONDS)
        response.headers["X-Page-Cache"] = "miss"
    _stamp(response, etag, last_modified, varies)
    return response


def aware(stamp: datetime | None) -> datetime | None:
    """Stamps as UTC. SQLite's raw cursor hands back naive datetimes for a plain column
    (its declared type is parsed without a zone) and aware ones for MAX(); both are UTC."""
    if stamp is None or stamp.tzinfo is not None:
        return stamp
    return stamp.replace(tzinfo=UTC)


def newest(*stamps: datetime | None) -> datetime | None:
    known = [aware(stamp) for stamp in stamps if stamp is not None]
    return max(known) if known else None  # type: ignore[type-var]


def version_text(*stamps: datetime | None) -> str:
    return ",".join("-" if stamp is None else aware(stamp).isoformat() for stamp in stamps)  # type: ignore[union-attr]
