"""Reading submitted forms, and the field errors shown next to each field."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData

from vilt.core.errors import DomainError, FieldError, ValidationFailed
from vilt.core.sessions import is_known_time_zone
from vilt.web.domain_text import translate
from vilt.web.i18n import Texts


@dataclass
class FormErrors:
    """Errors by field (``settings.secret``, ``duration_minutes``...), already translated.

    A field shows its own errors and those of its parts (``instructor_ids.0`` shows at
    ``instructor_ids``); the summary at the top of the form lists every error."""

    items: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def of(cls, exc: ValidationFailed, texts: Texts, zone: str = "UTC") -> FormErrors:
        return cls([(e.field, translate(e.reason, texts, zone)) for e in exc.errors])

    def add(self, name: str, message: str) -> None:
        self.items.append((name, message))

    def extend(self, other: FormErrors) -> None:
        self.items.extend(other.items)

    def get(self, name: str) -> list[str]:
        return [m for f, m in self.items if f == name or f.startswith(f"{name}.")]

    def exact(self, name: str) -> list[str]:
        return [m for f, m in self.items if f == name]

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationFailed([FieldError(f, m) for f, m in self.items])


class Form:
    """Typed reads of a submitted form; a value that does not parse becomes a field error."""

    def __init__(self, data: FormData, texts: Texts) -> None:
        self.data = data
        self.texts = texts
        self.errors = FormErrors()

    def text(self, name: str) -> str:
        value = self.data.get(name)
        return value.strip() if isinstance(value, str) else ""

    def optional_text(self, name: str) -> str | None:
        return self.text(name) or None

    def flag(self, name: str) -> bool:
        return self.text(name) in ("1", "on", "true", "yes")

    def values(self, name: str) -> list[str]:
        return [v.strip() for v in self.data.getlist(name) if isinstance(v, str) and v.strip()]

    def integer(self, name: str, field_name: str | None = None) -> int | None:
        raw = self.text(name)
        if not raw:
            return None
        try:
            return int(raw)
        except ValueError:
            self.errors.add(field_name or name, self.texts.gettext("Give a whole number."))
            return None

    def identifier(self, name: str) -> uuid.UUID | None:
        raw = self.text(name)
        if not raw:
            return None
        try:
            return uuid.UUID(raw)
        except ValueError:
            self.errors.add(name, self.texts.gettext("Choose one of the options."))
            return None

    def identifiers(self, name: str) -> list[uuid.UUID]:
        found = []
        for raw in self.values(name):
            try:
                found.append(uuid.UUID(raw))
            except ValueError:
                self.errors.add(name, self.texts.gettext("Choose one of the options."))
        return found

    def local_instant(self, date_name: str, time_name: str, zone: str, field_name: str) -> datetime | None:
        """A date and a wall-clock time in ``zone`` as an instant."""
        raw_date, raw_time = self.text(date_name), self.text(time_name)
        if not raw_date or not raw_time:
            self.errors.add(field_name, self.texts.gettext("Give the date and the time."))
            return None
        try:
            day = date.fromisoformat(raw_date)
            clock = time.fromisoformat(raw_time)
        except ValueError:
            self.errors.add(field_name, self.texts.gettext("Give the date and the time."))
            return None
        if not is_known_time_zone(zone):
            return datetime.combine(day, clock, ZoneInfo("UTC"))  # the zone's own error is shown
        return datetime.combine(day, clock, ZoneInfo(zone))

    def duration_minutes(self, hours_name: str, minutes_name: str, field_name: str) -> int | None:
        hours = self.integer(hours_name, field_name)
        minutes = self.integer(minutes_name, field_name)
        if hours is None and minutes is None:
            return None
        if (minutes or 0) >= 60 or (minutes or 0) < 0 or (hours or 0) < 0:
            self.errors.add(field_name, self.texts.gettext("Give hours, and minutes from 0 to 59."))
            return None
        return (hours or 0) * 60 + (minutes or 0)


def known(values: Iterable[str], allowed: Iterable[str]) -> list[str]:
    allowed_set = set(allowed)
    return [v for v in values if v in allowed_set]


def errors_from(exc: DomainError, texts: Texts, zone: str = "UTC") -> FormErrors:
    """A validation error per field; any other refusal at the field it names, or the form."""
    if isinstance(exc, ValidationFailed):
        return FormErrors.of(exc, texts, zone)
    place = exc.extra.get("field") if isinstance(exc.extra.get("field"), str) else "form"
    listed = exc.extra.get("errors")
    if isinstance(listed, list) and listed:
        return FormErrors(
            [(str(e.get("field", place)), translate(str(e.get("reason", "")), texts, zone)) for e in listed]
        )
    return FormErrors([(str(place), translate(exc.detail, texts, zone))])
