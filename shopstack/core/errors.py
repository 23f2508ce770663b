"""The one family of errors services raise; API and pages turn them into 4xx answers."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the shop refused the request. `code` is stable and machine-readable."""

    status = 400
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "fields": self.fields}


class ValidationFailed(DomainError):
    status = 422
    code = "validation_error"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class RateLimited(DomainError):
    """Too many attempts; `retry_after` seconds until the next is allowed."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message, fields=fields)
        self.retry_after = retry_after
