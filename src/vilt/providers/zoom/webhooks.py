"""Incoming Zoom webhooks: the URL validation answer, the ``x-zm-signature`` check with a
timestamp freshness window, then plain events.

Zoom signs ``v0:{x-zm-request-timestamp}:{raw body}`` with HMAC-SHA256 under the app's secret
token and sends ``x-zm-signature: v0=<hex>``. A request older (or newer) than the window is
refused, so a captured request cannot be replayed later."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from vilt.providers.errors import BadSignature, Invalid
from vilt.providers.zoom.mapping import parse_time

FRESHNESS = timedelta(minutes=5)
ENDED_EVENTS = ("meeting.ended", "webinar.ended")


@dataclass(frozen=True)
class UrlValidation:
    """``endpoint.url_validation``: answer ``{plainToken, encryptedToken}`` with status 200."""

    answer: dict[str, str]


@dataclass(frozen=True)
class MeetingEnded:
    meeting_id: str
    uuid: str
    ended_at: datetime | None
    raw: Mapping[str, Any]


@dataclass(frozen=True)
class OtherEvent:
    """Anything else Zoom sends: acknowledged, not acted on."""

    event: str


ZoomEvent = UrlValidation | MeetingEnded | OtherEvent


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return f"v0={digest}"


def verify(headers: Mapping[str, str], body: bytes, secret: str, now: datetime) -> None:
    """Raise BadSignature unless the request was signed with ``secret`` within the window."""
    signature = headers.get("x-zm-signature", "")
    timestamp = headers.get("x-zm-request-timestamp", "")
    if not signature or not timestamp:
        raise BadSignature("The request carries no x-zm-signature / x-zm-request-timestamp.")
    if not timestamp.isdigit():
        raise BadSignature("The request timestamp is not a number of seconds.")
    sent = datetime.fromtimestamp(int(timestamp), tz=UTC)
    if abs(now - sent) > FRESHNESS:
        raise BadSignature(
            f"The request timestamp is {int(abs((now - sent).total_seconds()))} s away from now "
            f"(at most {int(FRESHNESS.total_seconds())} s): refused as stale."
        )
    if not hmac.compare_digest(sign(secret, timestamp, body), signature):
        raise BadSignature("The x-zm-signature does not match the body: wrong secret token, or changed.")


def parse(headers: Mapping[str, str], body: bytes, secret: str, now: datetime) -> ZoomEvent:
    """Authenticate and read one webhook request."""
    try:
        payload = json.loads(body)
    except ValueError:
        raise Invalid("The webhook body is not JSON.") from None
    if not isinstance(payload, dict):
        raise Invalid("The webhook body is not a JSON object.")
    event = str(payload.get("event") or "")
    found = payload.get("payload")
    inner: dict[str, Any] = found if isinstance(found, dict) else {}
    if event == "endpoint.url_validation":
        # answering proves we hold the secret token without revealing it; nothing else happens
        plain = str(inner.get("plainToken") or "")
        if not plain:
            raise Invalid("The URL validation carries no plainToken.")
        encrypted = hmac.new(secret.encode(), plain.encode(), hashlib.sha256).hexdigest()
        return UrlValidation({"plainToken": plain, "encryptedToken": encrypted})
    verify(headers, body, secret, now)
    if event in ENDED_EVENTS:
        described = inner.get("object")
        obj: dict[str, Any] = described if isinstance(described, dict) else {}
        meeting_id = str(obj.get("id") or "").strip()
        if not meeting_id:
            raise Invalid(f"The {event} event names no meeting id.")
        return MeetingEnded(meeting_id, str(obj.get("uuid") or ""), parse_time(obj.get("end_time")), payload)
    return OtherEvent(event)
