"""Logs never carry a secret: keys that name one are redacted, and signed URLs are scrubbed."""

from __future__ import annotations

from typing import Any

from vilt.logs import redact


def test_secret_fields_and_signed_query_parameters_are_redacted() -> None:
    event: dict[str, Any] = {
        "event": "provider.call",
        "secret": "s3cr3t",
        "client_secret": "abc",
        "Authorization": "Bearer xyz",
        "url": "https://bbb.example/api/join?meetingID=m&checksum=deadbeef&userID=u",
        "note": "token=t0k3n and password=hunter2",
        "attempts": 3,
    }
    redacted = redact(None, "info", event)
    assert redacted["secret"] == "[redacted]"
    assert redacted["client_secret"] == "[redacted]"
    assert redacted["Authorization"] == "[redacted]"
    assert "deadbeef" not in redacted["url"]
    assert "meetingID=m" in redacted["url"]
    assert "t0k3n" not in redacted["note"]
    assert "hunter2" not in redacted["note"]
    assert redacted["attempts"] == 3
