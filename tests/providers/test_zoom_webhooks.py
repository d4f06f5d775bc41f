"""Zoom's webhook authenticity, from Zoom's documented scheme: HMAC-SHA256 over
``v0:{timestamp}:{body}`` with the app's secret token, a fresh timestamp, and the URL validation
answer. The signatures here are made independently of the code under test."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from vilt.providers.errors import BadSignature, Invalid
from vilt.providers.zoom import webhooks

SECRET = "zoom-secret-token-123"
NOW = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)


def signed(body: bytes, at: datetime = NOW, secret: str = SECRET) -> dict[str, str]:
    timestamp = str(int(at.timestamp()))
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"x-zm-request-timestamp": timestamp, "x-zm-signature": f"v0={digest}"}


ENDED = json.dumps(
    {
        "event": "meeting.ended",
        "event_ts": 1772449200000,
        "payload": {
            "account_id": "acc",
            "object": {
                "id": "85461623212",
                "uuid": "4444AAAiAAAAAiAiAiiAii==",
                "host_id": "z8yCxjabcdEFGHfp8uQ",
                "topic": "Onboarding",
                "type": 2,
                "start_time": "2026-03-02T10:00:00Z",
                "end_time": "2026-03-02T10:58:00Z",
                "duration": 60,
                "timezone": "Europe/Berlin",
            },
        },
    }
).encode()


def test_a_signed_meeting_ended_is_read() -> None:
    event = webhooks.parse(signed(ENDED), ENDED, SECRET, NOW)
    assert isinstance(event, webhooks.MeetingEnded)
    assert event.meeting_id == "85461623212"
    assert event.ended_at == datetime(2026, 3, 2, 10, 58, tzinfo=UTC)


def test_a_numeric_meeting_id_is_read_as_text() -> None:
    body = ENDED.replace(b'"id": "85461623212"', b'"id": 85461623212')
    event = webhooks.parse(signed(body), body, SECRET, NOW)
    assert isinstance(event, webhooks.MeetingEnded)
    assert event.meeting_id == "85461623212"


@pytest.mark.parametrize(
    "headers",
    [
        signed(ENDED, secret="another-secret"),
        {**signed(ENDED), "x-zm-signature": "v0=" + "0" * 64},
        signed(ENDED.replace(b"10:58", b"10:59")),  # signed, then changed
        {"x-zm-request-timestamp": str(int(NOW.timestamp()))},
        {},
    ],
    ids=["wrong secret", "forged", "changed body", "no signature", "no headers"],
)
def test_a_bad_signature_is_refused(headers: dict[str, str]) -> None:
    body = ENDED
    with pytest.raises(BadSignature):
        webhooks.parse(headers, body, SECRET, NOW)


@pytest.mark.parametrize("skew", [timedelta(minutes=-6), timedelta(minutes=6), timedelta(days=-1)])
def test_a_stale_or_future_timestamp_is_refused_even_when_signed(skew: timedelta) -> None:
    with pytest.raises(BadSignature, match="stale"):
        webhooks.parse(signed(ENDED, at=NOW + skew), ENDED, SECRET, NOW)


def test_a_timestamp_within_the_window_is_accepted() -> None:
    assert isinstance(
        webhooks.parse(signed(ENDED, at=NOW - timedelta(minutes=4)), ENDED, SECRET, NOW),
        webhooks.MeetingEnded,
    )


def test_the_url_validation_is_answered_with_the_hmac_of_the_plain_token() -> None:
    body = json.dumps(
        {"event": "endpoint.url_validation", "payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"}}
    )
    event = webhooks.parse({}, body.encode(), SECRET, NOW)
    assert isinstance(event, webhooks.UrlValidation)
    expected = hmac.new(SECRET.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256).hexdigest()
    assert event.answer == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": expected}


def test_other_events_are_acknowledged_and_nothing_else() -> None:
    body = json.dumps({"event": "meeting.participant_joined", "payload": {"object": {"id": "1"}}}).encode()
    assert webhooks.parse(signed(body), body, SECRET, NOW) == webhooks.OtherEvent(
        "meeting.participant_joined"
    )


@pytest.mark.parametrize(
    "body", [b"not json", b"[1]", b'{"event": "meeting.ended", "payload": {"object": {}}}']
)
def test_unreadable_bodies_are_invalid(body: bytes) -> None:
    with pytest.raises(Invalid):
        webhooks.parse(signed(body), body, SECRET, NOW)
