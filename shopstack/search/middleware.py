"""Writes each request's search log rows when the server closes its response (see log.py)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from shopstack.search.log import PendingRows, search_log_kept


def _writing_on_close(response: HttpResponseBase, pending: PendingRows) -> None:
    close = response.close

    def close_and_write() -> None:
        # Before the response's own close: that sends request_finished, after which the
        # server may close the database connection.
        try:
            pending.flush()
        finally:
            close()

    response.close = close_and_write  # type: ignore[method-assign]


class SearchLogMiddleware:
    """Keeps a request's search log rows apart from every other request's (also from the next
    request on the same thread, which a server may start before it closes this response) and
    writes them when the server closes the response. First in MIDDLEWARE: the response it
    hands the rows to is then the one the server closes, not one a later middleware replaced."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        pending = PendingRows()
        try:
            with search_log_kept(pending):
                response = self.get_response(request)
        except BaseException:
            pending.flush()
            raise
        if pending.waiting():
            _writing_on_close(response, pending)
        return response
