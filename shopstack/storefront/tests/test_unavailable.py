"""When the database is away, pages and the API say "back in a moment" (503, Retry-After)
rather than "something went wrong" (500)."""

from __future__ import annotations

import json

from django.db.utils import OperationalError
from django.test import RequestFactory

from shopstack.storefront.views.errors import server_error


def render_while_handling(error: Exception, path: str):
    try:
        raise error
    except Exception:
        return server_error(RequestFactory().get(path))


def test_page_answers_503_with_retry_after_when_the_database_is_down() -> None:
    response = render_while_handling(OperationalError("connection refused"), "/category/mugs/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "Back in a moment" in response.content.decode()


def test_api_answers_503_in_its_error_format() -> None:
    response = render_while_handling(OperationalError("server closed the connection"), "/api/v1/products")
    assert response.status_code == 503
    assert json.loads(response.content)["error"]["code"] == "service_unavailable"
    assert response["Cache-Control"] == "no-store"


def test_other_failures_stay_500_without_retry_after() -> None:
    page = render_while_handling(ValueError("bug"), "/")
    api = render_while_handling(ValueError("bug"), "/api/v1/products")
    assert (page.status_code, api.status_code) == (500, 500)
    assert "Retry-After" not in page
    assert json.loads(api.content)["error"]["code"] == "server_error"
