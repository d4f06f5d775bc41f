"""Domain errors carry what a user needs to fix the problem: the field, the reason, and when
something becomes allowed. The HTTP edge turns them into problem+json documents."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One invalid field: a dotted path (``settings.secret``) and a sentence saying why."""

    field: str
    reason: str


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    status = 400
    code = "invalid"
    title = "The request cannot be carried out"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class ValidationFailed(DomainError):
    """One or more fields are invalid."""

    status = 422
    code = "validation_failed"
    title = "Some fields are invalid"

    def __init__(self, errors: list[FieldError] | FieldError) -> None:
        self.errors = [errors] if isinstance(errors, FieldError) else list(errors)
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in self.errors))

    @classmethod
    def one(cls, field_name: str, reason: str) -> ValidationFailed:
        return cls(FieldError(field_name, reason))


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    """The request is valid but the current state does not allow it."""

    status = 409
    code = "conflict"
    title = "Not allowed in the current state"


class TooEarly(Conflict):
    """Allowed later: ``at`` says when, under the name of ``at_field`` (``opens_at``...)."""

    code = "too_early"
    title = "Not allowed yet"

    def __init__(self, detail: str, *, at_field: str, at: datetime) -> None:
        super().__init__(detail, **{at_field: at})
        self.at_field = at_field
        self.at = at


def when(instant: datetime) -> str:
    """An instant in a sentence: ``2026-05-04 09:00 UTC``."""
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = "Not allowed for this user"


@dataclass
class ErrorList:
    """Collects field errors so a form reports all of them at once."""

    errors: list[FieldError] = field(default_factory=list)

    def add(self, field_name: str, reason: str) -> None:
        self.errors.append(FieldError(field_name, reason))

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)
