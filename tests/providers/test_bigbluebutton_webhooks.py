"""``webhooks.parse_analytics``: the analytics callback's signature and shapes (providers.md §1).

Payloads are built here the way BigBlueButton's post_events_analytics_callback.rb sends them
(bbb-events' data), including the older Ruby ``Time#to_s`` dates and the ~2.4 form-POST with
``signed_parameters``."""

from __future__ import annotations

import json
import warnings
from datetime import datetime, timedelta
from typing import Any

import jwt
import pytest

from tests.sandbox.support import SECRET, T0
from vilt.providers.bigbluebutton.mapping import snake_key
from vilt.providers.bigbluebutton.webhooks import AnalyticsData, AnalyticsReady, parse_analytics
from vilt.providers.errors import BadSignature, Invalid

NOW = T0 + timedelta(hours=2)


def token(claims: dict[str, Any] | None = None, *, secret: str = SECRET, algorithm: str = "HS512") -> str:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*HMAC key.*")
        payload = {"exp": int((NOW + timedelta(hours=24)).timestamp())} if claims is None else claims
        return jwt.encode(payload, secret, algorithm=algorithm)


def iso(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat(timespec="milliseconds")


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def event(minutes: float, user: str, ext: str, kind: str) -> dict[str, str]:
    return {"timestamp": iso(minutes), "userid": user, "ext_userid": ext, "event": kind}


def attendee(ext: str, sessions: list[tuple[str, list[float], list[float]]], **extra: Any) -> dict[str, Any]:
    """An attendee with sessions given as (internal user id, join minutes, leave minutes)."""
    joins = sorted(m for _, js, _ in sessions for m in js)
    leaves = sorted(m for _, _, ls in sessions for m in ls)
    body: dict[str, Any] = {
        "ext_user_id": ext,
        "name": ext.title(),
        "moderator": False,
        "joins": [iso(m) for m in joins],
        "leaves": [iso(m) for m in leaves],
        "duration": 0,
        "recent_talking_time": "",
        "engagement": {"chats": 2, "talks": 1, "raisehand": 0, "emojis": 0, "poll_votes": 0, "talk_time": 0},
        "sessions": [
            {
                "joins": [event(m, user, ext, "join") for m in js],
                "lefts": [event(m, user, ext, "left") for m in ls],
            }
            for user, js, ls in sessions
        ],
    }
    body.update(extra)
    return body


def payload(
    attendees: list[dict[str, Any]], *, finish: float = 60, polls: list[Any] | None = None
) -> dict[str, Any]:
    return {
        "version": "1.0",
        "meeting_id": "vilt-0f3a9c",
        "internal_meeting_id": "3f8a-1772441600000",
        "data": {
            "metadata": {"bbb_origin": "Vilt"},
            "duration": int(finish * 60),
            "start": iso(0),
            "finish": iso(finish),
            "attendees": attendees,
            "files": [],
            "polls": polls or [],
        },
    }


def parse(body: dict[str, Any] | bytes, *, authorization: str | None = None, now: datetime = NOW):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return parse_analytics(
        authorization=f"Bearer {token()}" if authorization is None else authorization,
        body=raw,
        form={},
        secret=SECRET,
        now=now,
    )


def spans(report) -> list[tuple[datetime, datetime]]:
    return [(i.start, i.end) for i in report.intervals]


# -- the current form: JSON with an HS512 bearer -----------------------------------------------------


def test_a_valid_callback_gives_one_report_per_person() -> None:
    body = payload(
        [
            attendee("v-lea", [("w_1", [5], [50])]),
            attendee("i-host", [("w_2", [0], [60])], moderator=True),
        ]
    )
    parsed = parse(body)
    assert isinstance(parsed, AnalyticsData)
    assert parsed.meeting_id == "vilt-0f3a9c"
    assert parsed.raw == body
    lea, host = parsed.reports
    assert (lea.participant_key, lea.bound_identity, lea.display_name, lea.role) == (
        "v-lea",
        "v-lea",
        "V-Lea",
        "viewer",
    )
    assert spans(lea) == [(at(5), at(50))]
    assert lea.total_seconds == 45 * 60
    assert (lea.engagement.chats, lea.engagement.talks) == (2, 1)
    assert host.role == "moderator"


def test_a_reconnect_gives_two_intervals() -> None:
    # the same client drops and comes back: one internal user id, two joins and two lefts
    parsed = parse(payload([attendee("v-lea", [("w_1", [0, 25], [20, 60])])]))
    assert isinstance(parsed, AnalyticsData)
    assert spans(parsed.reports[0]) == [(at(0), at(20)), (at(25), at(60))]
    assert parsed.reports[0].total_seconds == 55 * 60


def test_a_new_join_url_is_a_second_session() -> None:
    parsed = parse(payload([attendee("v-lea", [("w_1", [0], [10]), ("w_2", [12], [30])])]))
    assert spans(parsed.reports[0]) == [(at(0), at(10)), (at(12), at(30))]


def test_an_unclosed_join_ends_at_finish() -> None:
    parsed = parse(payload([attendee("v-lea", [("w_1", [40], [])])], finish=75))
    assert spans(parsed.reports[0]) == [(at(40), at(75))]


def test_two_devices_at_once_are_counted_once() -> None:
    # a laptop from 0 to 10 and a phone from 5 to 30: present from 0 to 30, not 35 minutes
    parsed = parse(payload([attendee("v-lea", [("w_1", [0], [10]), ("w_2", [5], [30])])]))
    assert spans(parsed.reports[0]) == [(at(0), at(30))]
    assert parsed.reports[0].total_seconds == 30 * 60


def test_a_reconnect_at_the_same_instant_is_continuous() -> None:
    parsed = parse(payload([attendee("v-lea", [("w_1", [0, 10], [10, 20])])]))
    assert spans(parsed.reports[0]) == [(at(0), at(20))]


def test_a_reconnect_logged_without_its_leave() -> None:
    parsed = parse(payload([attendee("v-lea", [("w_1", [0, 10], [20])])]))
    assert spans(parsed.reports[0]) == [(at(0), at(20))]


def test_without_sessions_the_joins_and_leaves_are_paired() -> None:
    # older bbb-events: no ``sessions``; a leave was added at finish for the unclosed join
    lea = attendee("v-lea", [])
    lea.update(joins=[iso(0), iso(5)], leaves=[iso(10), iso(60)])
    parsed = parse(payload([lea]))
    assert spans(parsed.reports[0]) == [(at(0), at(60))]


def test_ruby_time_strings_and_epoch_milliseconds_are_read() -> None:
    lea = attendee("v-lea", [])
    lea.update(joins=["2026-03-02 10:05:00 +0100"], leaves=[int(at(30).timestamp() * 1000)])
    body = payload([lea])
    body["data"]["finish"] = "2026-03-02 10:00:00 +0100"
    parsed = parse(body)
    assert spans(parsed.reports[0]) == [(at(5), at(30))]


def test_only_a_duration_gives_an_interval_ending_at_finish() -> None:
    lea = attendee("v-lea", [], duration=600)
    lea.update(joins=[], leaves=[])
    parsed = parse(payload([lea], finish=60))
    assert spans(parsed.reports[0]) == [(at(50), at(60))]


def test_poll_answers_count_votes_even_under_snake_cased_keys() -> None:
    polls = [
        {
            "id": "p1",
            "type": "YN",
            "question": "Q1",
            "published": True,
            "options": [],
            "start": iso(5),
            "votes": {"user_7": "Yes", "v-lea": "No"},
        },
        {
            "id": "p2",
            "type": "YN",
            "question": "Q2",
            "published": False,
            "options": [],
            "start": iso(9),
            "votes": {"user_7": "No"},
        },
    ]
    body = payload(
        [attendee("User-7", [("w_1", [0], [60])]), attendee("v-lea", [("w_2", [0], [60])])], polls=polls
    )
    seven, lea = parse(body).reports
    assert (seven.engagement.polls_answered, seven.engagement.polls_asked) == (2, 2)
    assert (lea.engagement.polls_answered, lea.engagement.polls_asked) == (1, 2)


def test_the_poll_vote_count_is_the_fallback_and_never_exceeds_the_polls() -> None:
    polls = [{"id": "p1", "votes": {"someone-else": "Yes"}}]
    engaged = attendee("v-lea", [("w_1", [0], [60])])
    engaged["engagement"]["poll_votes"] = 3
    [lea] = parse(payload([engaged], polls=polls)).reports
    assert (lea.engagement.polls_answered, lea.engagement.polls_asked) == (1, 1)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("user_7", "user_7"),
        ("User-7", "user_7"),
        ("userID", "user_id"),
        ("analytics-callback-url", "analytics_callback_url"),
        ("HTTPServer", "http_server"),
        ("v0123abc", "v0123abc"),
    ],
)
def test_snake_key_matches_rails_underscore(key: str, expected: str) -> None:
    assert snake_key(key) == expected


# -- refusals --------------------------------------------------------------------------------------


def test_a_wrong_signature_is_refused() -> None:
    with pytest.raises(BadSignature):
        parse(payload([]), authorization=f"Bearer {token(secret='another-servers-secret')}")


def test_an_hs256_bearer_is_refused() -> None:
    with pytest.raises(BadSignature):
        parse(payload([]), authorization=f"Bearer {token(algorithm='HS256')}")


def test_an_unsigned_token_is_refused() -> None:
    unsigned = jwt.encode({"exp": int(NOW.timestamp()) + 60}, "", algorithm="none")
    with pytest.raises(BadSignature):
        parse(payload([]), authorization=f"Bearer {unsigned}")


def test_an_expired_token_is_judged_by_our_clock() -> None:
    issued = token({"exp": int((T0 + timedelta(hours=24)).timestamp())})
    # valid for the sandbox clock even though the wall clock may be years on, and vice versa
    assert isinstance(
        parse(payload([]), authorization=f"Bearer {issued}", now=T0 + timedelta(hours=24)), AnalyticsData
    )
    with pytest.raises(BadSignature, match="expired"):
        parse(payload([]), authorization=f"Bearer {issued}", now=T0 + timedelta(hours=24, minutes=5))


def test_a_bearer_token_without_exp_is_refused() -> None:
    with pytest.raises(BadSignature):
        parse(payload([]), authorization=f"Bearer {token({'meeting_id': 'vilt-0f3a9c'})}")


def test_garbage_in_the_header_is_refused() -> None:
    with pytest.raises(BadSignature):
        parse(payload([]), authorization="Bearer not.a.jwt")
    with pytest.raises(BadSignature):
        parse_analytics(authorization=None, body=b"{}", form={}, secret=SECRET, now=NOW)
    with pytest.raises(BadSignature):
        parse_analytics(authorization="Basic dXNlcjpwYXNz", body=b"{}", form={}, secret=SECRET, now=NOW)


def test_a_body_without_meeting_id_is_invalid() -> None:
    body = payload([])
    del body["meeting_id"]
    with pytest.raises(Invalid, match="meeting_id"):
        parse(body)


def test_a_body_that_is_not_json_is_invalid() -> None:
    with pytest.raises(Invalid):
        parse(b"<xml/>")
    with pytest.raises(Invalid):
        parse(b"[1, 2]")


def test_a_malformed_data_block_gives_no_reports_rather_than_an_error() -> None:
    body = payload([])
    body["data"] = ["not", "an", "object"]
    parsed = parse(body)
    assert isinstance(parsed, AnalyticsData)
    assert parsed.reports == []


def test_malformed_attendee_fields_are_tolerated() -> None:
    odd = attendee("v-lea", [], duration="ten minutes", engagement="none")
    odd.update(joins=["yesterday", None], leaves="never", sessions={"w_1": {"joins": "x"}})
    stray: Any = "not an attendee"
    [lea] = parse(payload([odd, stray])).reports
    assert lea.intervals == ()
    assert lea.engagement.chats == 0


# -- the older form: form-POST with signed_parameters ------------------------------------------------


def test_the_older_signed_parameters_form_says_attendance_is_ready() -> None:
    claims = {
        "meeting_id": "vilt-0f3a9c",
        "record_id": "3f8a-1772441600000",
        "learning_analytics_dashboard_url": "https://bbb.example.com/learning-dashboard/?meeting=3f8a",
    }
    signed_parameters = token(claims, algorithm="HS256")  # no exp in this form
    parsed = parse_analytics(
        authorization=None, body=b"", form={"signed_parameters": signed_parameters}, secret=SECRET, now=NOW
    )
    assert isinstance(parsed, AnalyticsReady)
    assert parsed.meeting_id == "vilt-0f3a9c"
    assert parsed.raw["record_id"] == "3f8a-1772441600000"


def test_the_older_form_with_a_bad_signature_or_no_meeting_is_refused() -> None:
    forged = token({"meeting_id": "vilt-0f3a9c"}, secret="guess", algorithm="HS256")
    with pytest.raises(BadSignature):
        parse_analytics(
            authorization=None, body=b"", form={"signed_parameters": forged}, secret=SECRET, now=NOW
        )
    nameless = token({"record_id": "r"}, algorithm="HS256")
    with pytest.raises(Invalid):
        parse_analytics(
            authorization=None, body=b"", form={"signed_parameters": nameless}, secret=SECRET, now=NOW
        )
