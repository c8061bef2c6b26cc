"""Domain errors: a stable machine code, a human message, per-field detail and an HTTP status hint."""

from __future__ import annotations


class DomainError(Exception):
    status: int = 400

    def __init__(
        self, code: str, message: str, *, fields: dict[str, str] | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}
        if status is not None:
            self.status = status


class InvalidInput(DomainError):
    status = 422


class NotFound(DomainError):
    status = 404

    def __init__(self, entity: str) -> None:
        super().__init__("not_found", f"{entity} not found")


class Conflict(DomainError):
    status = 409


class Unauthorized(DomainError):
    status = 401


class Forbidden(DomainError):
    status = 403


class Gone(DomainError):
    status = 410


class RateLimited(DomainError):
    status = 429


class Locked(DomainError):
    status = 423
