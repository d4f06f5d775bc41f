"""Incoming BigBlueButton callbacks: signature checks, then plain events.

The analytics callback comes in two forms. Current servers POST JSON with
``Authorization: Bearer <JWT HS512, signed with the shared secret>``; older ones (~2.4) form-POST
``signed_parameters``, a JWT naming the meeting but carrying no attendee data. The end callback is
an unsigned GET, so it only ever makes the session due; the worker confirms with the server.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt

from vilt.core.attendance import ParticipantReport
from vilt.providers.bigbluebutton.mapping import analytics_reports
from vilt.providers.errors import BadSignature, Invalid

_LEEWAY_SECONDS = 60


@dataclass(frozen=True)
class AnalyticsData:
    meeting_id: str
    reports: list[ParticipantReport]
    raw: Mapping[str, Any]


@dataclass(frozen=True)
class AnalyticsReady:
    """The older form: attendance is ready, but not in this message."""

    meeting_id: str
    raw: Mapping[str, Any]


def _decode(
    token: str, secret: str, algorithms: list[str], now: datetime, *, require_exp: bool
) -> dict[str, Any]:
    try:
        with warnings.catch_warnings():
            # the key is the BigBlueButton server's shared secret: its length is not ours to choose
            warnings.filterwarnings("ignore", message=".*HMAC key.*")
            claims: dict[str, Any] = jwt.decode(
                token,
                secret,
                algorithms=algorithms,
                options={"verify_exp": False, "require": ["exp"] if require_exp else []},
            )
    except jwt.InvalidTokenError as exc:
        raise BadSignature(f"The callback token is not valid: {type(exc).__name__}.") from None
    exp = claims.get("exp")
    # checked against our clock, which the sandbox may have moved forward
    if isinstance(exp, (int, float)) and exp + _LEEWAY_SECONDS < now.timestamp():
        raise BadSignature("The callback token has expired.")
    return claims


def parse_analytics(
    *,
    authorization: str | None,
    body: bytes,
    form: Mapping[str, str],
    secret: str,
    now: datetime,
) -> AnalyticsData | AnalyticsReady:
    if authorization and authorization.lower().startswith("bearer "):
        # BigBlueButton signs {"exp": now + 24 h} with HS512 (post_events_analytics_callback.rb)
        _decode(authorization[7:].strip(), secret, ["HS512"], now, require_exp=True)
        try:
            payload = json.loads(body)
        except ValueError:
            raise Invalid("The analytics callback body is not JSON.") from None
        if not isinstance(payload, dict) or not payload.get("meeting_id"):
            raise Invalid("The analytics callback names no meeting_id.")
        return AnalyticsData(str(payload["meeting_id"]), analytics_reports(payload), payload)
    token = form.get("signed_parameters")
    if token:
        # the ~2.4 form carries {meeting_id, record_id, ...} and no exp
        claims = _decode(token, secret, ["HS256", "HS512"], now, require_exp=False)
        if not claims.get("meeting_id"):
            raise Invalid("The signed parameters name no meeting_id.")
        return AnalyticsReady(str(claims["meeting_id"]), claims)
    raise BadSignature("The analytics callback carries neither a Bearer token nor signed_parameters.")
