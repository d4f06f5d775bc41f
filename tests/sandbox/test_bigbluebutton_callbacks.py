"""What the simulator sends when a meeting ends: the analytics callback (JSON, HS512 bearer,
shaped like post_events_analytics_callback.rb sends bbb-events' data) and the end callback (an
unsigned GET). Delivered over HTTP to a small receiving Starlette app."""

from __future__ import annotations

import json
import warnings
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt

from tests.sandbox.support import SECRET, T0, VILT, Receiver, signed, text, xml
from vilt.clock import AdjustableClock
from vilt.sandbox.bigbluebutton import BigBlueButtonSimulator

ANALYTICS = f"{VILT}/callbacks/analytics?integration=7"
ENDED = f"{VILT}/callbacks/end?session=s1&token=t1"


async def create(
    api: httpx.AsyncClient, meeting_id: str = "room-1", *, keep_events: bool = True, **extra: str
) -> str:
    params = [
        ("name", "Weekly Class"),
        ("meetingID", meeting_id),
        ("meetingKeepEvents", "true" if keep_events else "false"),
        ("meta_analytics-callback-url", ANALYTICS),
        ("meta_endCallbackUrl", ENDED),
        ("meta_bbb-origin", "Vilt"),
        ("meta_gl_listed", "true"),
        *extra.items(),
    ]
    root = xml(await api.get(signed("create", params)))
    assert text(root, "returncode") == "SUCCESS"
    return text(root, "internalMeetingID")


async def join(api: httpx.AsyncClient, user_id: str, name: str, role: str = "VIEWER") -> None:
    answer = await api.get(
        signed("join", [("fullName", name), ("meetingID", "room-1"), ("role", role), ("userID", user_id)])
    )
    assert answer.status_code == 302


async def control(
    api: httpx.AsyncClient, action: str, body: dict[str, object] | None = None
) -> dict[str, object]:
    response = await api.post(f"/_sim/meetings/room-1/{action}", json=body or {})
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()
    return result


def decode(token: str) -> dict[str, object]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*HMAC key.*")
        claims: dict[str, object] = jwt.decode(
            token, SECRET, algorithms=["HS512"], options={"verify_exp": False}
        )
    return claims


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def iso(minutes: float) -> str:
    return at(minutes).isoformat(timespec="milliseconds")


async def test_a_meeting_that_ends_sends_the_analytics_callback(
    api: httpx.AsyncClient, clock: AdjustableClock, sim: BigBlueButtonSimulator, receiver: Receiver
) -> None:
    internal = await create(api)
    clock.advance(60)
    await join(api, "host-1", "Irene Host", "MODERATOR")
    await join(api, "learner-1", "Lea Learner")
    clock.advance(10 * 60)
    await control(api, "polls", {"user_id": "learner-1", "answered": 1, "asked": 2})
    clock.advance(20 * 60)
    ended = xml(await api.get(signed("end", [("meetingID", "room-1")])))
    assert text(ended, "messageKey") == "sentEndMeetingRequest"
    await sim.drain()

    [posted] = receiver.of("POST")
    assert posted.url == ANALYTICS
    assert posted.headers["content-type"] == "application/json"
    assert posted.headers["user-agent"] == "BigBlueButton Analytics Callback"
    scheme, _, token = posted.headers["authorization"].partition(" ")
    assert scheme == "Bearer"
    assert jwt.get_unverified_header(token) == {"alg": "HS512", "typ": "JWT"}
    assert decode(token) == {"exp": int((at(31) + timedelta(hours=24)).timestamp())}

    body = json.loads(posted.body)
    assert body["version"] == "1.0"
    assert body["meeting_id"] == "room-1"
    assert body["internal_meeting_id"] == internal
    data = body["data"]
    assert data["start"] == iso(0)  # bbb-events: the meeting's creation
    assert data["finish"] == iso(31)
    assert data["duration"] == 31 * 60
    # keys snake_cased; gl_* metadata dropped, as the BBB script does
    assert data["metadata"] == {
        "analytics_callback_url": ANALYTICS,
        "endcallbackurl": ENDED,
        "bbb_origin": "Vilt",
    }
    assert data["files"] == []
    by_user = {a["ext_user_id"]: a for a in data["attendees"]}
    assert set(by_user) == {"host-1", "learner-1"}
    learner = by_user["learner-1"]
    assert "id" not in learner  # the script removes internal user ids
    assert learner["name"] == "Lea Learner"
    assert learner["moderator"] is False
    assert by_user["host-1"]["moderator"] is True
    assert learner["joins"] == [iso(1)]
    assert learner["leaves"] == [iso(31)]  # still in at the end: the end closes the join
    assert learner["duration"] == 30 * 60
    assert learner["engagement"] == {
        "chats": 0,
        "talks": 0,
        "raisehand": 0,
        "emojis": 0,
        "poll_votes": 1,
        "talk_time": 0,
    }
    [session] = learner["sessions"]
    assert [j["timestamp"] for j in session["joins"]] == [iso(1)]
    assert [left["timestamp"] for left in session["lefts"]] == [iso(31)]
    assert session["joins"][0]["ext_userid"] == "learner-1"
    assert session["joins"][0]["event"] == "join"
    assert session["lefts"][0]["event"] == "left"
    assert len(data["polls"]) == 2
    first, second = data["polls"]
    assert set(first) >= {"id", "type", "question", "published", "options", "start", "votes"}
    assert first["votes"] == {"learner_1": "Yes"}  # every key snake_cased, ext_user_ids included
    assert second["votes"] == {}

    # and the end callback, a GET with recordingmarks and meetingID appended
    [got] = receiver.of("GET")
    query = parse_qs(urlsplit(got.url).query)
    assert query == {"session": ["s1"], "token": ["t1"], "recordingmarks": ["false"], "meetingID": ["room-1"]}
    assert "authorization" not in got.headers
    statuses = [(c["kind"], c["status"]) for c in (await api.get("/_sim/callbacks")).json()["callbacks"]]
    assert statuses == [("end", 200), ("analytics", 200)]


async def test_reconnects_and_new_joins_are_sessions(
    api: httpx.AsyncClient, clock: AdjustableClock, sim: BigBlueButtonSimulator, receiver: Receiver
) -> None:
    await create(api)
    await join(api, "learner-1", "Lea")  # session 1 (a join call registers a user)
    clock.advance(5 * 60)
    await control(api, "leave", {"user_id": "learner-1"})
    clock.advance(60)
    await control(api, "join", {"name": "Lea", "user_id": "learner-1"})  # the same client reconnects
    clock.advance(4 * 60)
    await control(api, "leave", {"user_id": "learner-1"})
    clock.advance(30)
    await join(api, "learner-1", "Lea")  # a new join URL: a new session
    clock.advance(10 * 60)
    await control(api, "end")
    await sim.drain()

    [attendee] = json.loads(receiver.of("POST")[0].body)["data"]["attendees"]
    assert attendee["joins"] == [iso(0), iso(6), iso(10.5)]
    assert attendee["leaves"] == [iso(5), iso(10), iso(20.5)]
    assert attendee["duration"] == (5 + 4 + 10) * 60
    first, second = attendee["sessions"]
    assert [j["timestamp"] for j in first["joins"]] == [iso(0), iso(6)]
    assert [j["timestamp"] for j in first["lefts"]] == [iso(5), iso(10)]
    assert [j["timestamp"] for j in second["joins"]] == [iso(10.5)]
    assert first["joins"][0]["userid"] != second["joins"][0]["userid"]


async def test_poll_vote_keys_are_snake_cased_like_every_key(
    api: httpx.AsyncClient, sim: BigBlueButtonSimulator, receiver: Receiver
) -> None:
    await create(api)
    await join(api, "User-7", "Seven")
    await control(api, "polls", {"user_id": "User-7", "answered": 1, "asked": 1})
    await control(api, "end")
    await sim.drain()
    data = json.loads(receiver.of("POST")[0].body)["data"]
    assert data["polls"][0]["votes"] == {"user_7": "Yes"}  # what deep_transform_keys! does to it
    assert data["attendees"][0]["ext_user_id"] == "User-7"  # values are left alone


async def test_no_analytics_without_meeting_keep_events(
    api: httpx.AsyncClient, sim: BigBlueButtonSimulator, receiver: Receiver
) -> None:
    await create(api, keep_events=False)
    await join(api, "u", "U")
    await control(api, "end")
    await sim.drain()
    assert [r.method for r in receiver.requests] == ["GET"]


async def test_an_expired_unused_meeting_sends_only_the_end_callback(
    api: httpx.AsyncClient, clock: AdjustableClock, sim: BigBlueButtonSimulator, receiver: Receiver
) -> None:
    await create(api)
    clock.advance(6 * 60)
    await sim.drain()  # reconciles first: the meeting expired at +5 min
    [got] = receiver.requests
    assert got.method == "GET"
    assert parse_qs(urlsplit(got.url).query)["meetingID"] == ["room-1"]
    assert sim.ended["room-1"].ended_at == at(5)


async def test_the_token_is_signed_when_sent_even_if_the_end_is_noticed_late(
    api: httpx.AsyncClient, clock: AdjustableClock, sim: BigBlueButtonSimulator, receiver: Receiver
) -> None:
    await create(api, duration="60")
    await join(api, "u", "U")
    clock.advance(3 * 24 * 3600)  # nobody looked for three days
    await sim.drain()
    posted = receiver.of("POST")[0]
    assert json.loads(posted.body)["data"]["finish"] == iso(60)
    claims = decode(posted.headers["authorization"].split()[1])
    assert claims["exp"] == int((T0 + timedelta(days=3, hours=24)).timestamp())


async def test_a_failing_receiver_is_recorded_not_raised(
    api: httpx.AsyncClient, clock: AdjustableClock, receiver: Receiver
) -> None:
    receiver.status = 503
    broken = BigBlueButtonSimulator(
        clock, secret=SECRET, outbound=lambda: httpx.AsyncClient(transport=_Exploding())
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=broken.app), base_url="http://bbb.sim"
    ) as other:
        await create(other)
        await join(other, "u", "U")
        await other.post("/_sim/meetings/room-1/end")
        await broken.drain()
        callbacks = (await other.get("/_sim/callbacks")).json()["callbacks"]
    assert [(c["kind"], c["status"], c["error"]) for c in callbacks] == [
        ("end", None, "RuntimeError"),
        ("analytics", None, "RuntimeError"),
    ]


class _Exploding(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise RuntimeError("the receiving app crashed")
