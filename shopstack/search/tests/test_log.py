"""The search log: a request's rows are written when the server closes its response, and
belong to that request, whatever else runs on the thread before the close."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import HttpResponseBase
from django.test import RequestFactory

from shopstack.search.log import search_log_deferred
from shopstack.search.models import SearchQuery
from shopstack.search.services import search_products
from shopstack.testing.factories import make_category, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop() -> None:
    candles = make_category(name="Candles")
    make_product(name="Red Heart Candle Holder", price="8.00", category=candles)
    make_product(name="Vanilla Scented Candle", price="4.50", category=candles)


@pytest.fixture
def server() -> Iterator[WSGIHandler]:
    """The WSGI application as a server calls it, on this thread: the test decides when each
    response is closed. The requests share the test's transaction, so Django must not close
    the connection at their start and end (its own test client does the same)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


def _get(server: WSGIHandler, path: str, **params: str) -> HttpResponseBase:
    environ = RequestFactory().get(path, params).environ
    response = server(environ, lambda status, headers: None)
    assert response.status_code == 200
    b"".join(response)  # the body goes out; the server closes the response later
    return response


def logged() -> list[str]:
    return sorted(SearchQuery.objects.values_list("normalized", flat=True))


def test_a_response_closed_after_the_next_request_still_writes_its_rows(server, shop) -> None:
    first = _get(server, "/search/", q="heart")
    assert logged() == []  # waits for the close
    second = _get(server, "/search/", q="vanilla")
    second.close()
    assert logged() == ["vanilla"]
    first.close()
    assert logged() == ["heart", "vanilla"]


def test_a_search_outside_a_request_is_written_at_once_while_a_response_is_open(server, shop) -> None:
    response = _get(server, "/search/", q="heart")
    search_products(text="candle")  # a task, the shell: no request is running
    assert logged() == ["candle"]
    response.close()
    assert logged() == ["candle", "heart"]


def test_a_deferred_block_writes_its_rows_when_it_ends(shop) -> None:
    with search_log_deferred():
        outcome = search_products(text="heart")
        assert outcome.log_token
        assert logged() == []
    assert SearchQuery.objects.get(token=outcome.log_token).normalized == "heart"
