"""Outgoing webhooks: the events an account can subscribe to, and the message envelope
(Standard Webhooks: ``{"type", "timestamp", "data"}``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from vilt.core.errors import ErrorList

EVENT_TYPES: dict[str, str] = {
    "session.updated": "A session changed: its time, title, capacity, or state (canceled, live).",
    "session.ended": "A session ended (by its instructor, the provider, or auto-end).",
    "roster.updated": "A new roster version: a sync, a manual edit, or Update roster.",
    "roster.submitted": "A roster was submitted: locked, and its results published.",
    "enrollment.updated": "An enrollment changed: created, canceled, promoted, a walk-in, a new join URL.",
}

SECRET_PREFIX = "whsec_"  # noqa: S105 (the Standard Webhooks prefix, not a secret)


def envelope(event_type: str, at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": event_type,
        "timestamp": at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "data": data,
    }


def validate_url(errors: ErrorList, url: str | None, field_name: str = "url") -> None:
    if not url or not url.strip():
        errors.add(field_name, "A URL is required.")
        return
    if len(url) > 2048:
        errors.add(field_name, "A URL has at most 2048 characters.")
        return
    try:
        parts = urlsplit(url.strip())
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid:
        errors.add(field_name, "Give an absolute http:// or https:// URL.")


def validate_event_types(errors: ErrorList, types: Sequence[str], field_name: str = "event_types") -> None:
    if not types:
        errors.add(field_name, "Subscribe to at least one event type.")
    for index, name in enumerate(types):
        if name not in EVENT_TYPES:
            errors.add(f"{field_name}.{index}", f"Unknown event type '{name}'; use {', '.join(EVENT_TYPES)}.")


def subscribed(types: Sequence[str], event_type: str) -> bool:
    return event_type in types
