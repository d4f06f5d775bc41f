"""What is particular to BigBlueButton, against its simulator: the check's diagnoses (server URL,
secret, checksum algorithm), createTime and re-creation, checksummed join URLs, live status, the
analytics callback through ``webhooks.parse_analytics``, and BBB's own failure shapes. Real HTTP
over the ASGI transport; no mocks.

The generic steps (idempotent create, launch, end, attendance, delete, 401/429/5xx/timeouts,
declared capabilities) are in the shared contract: ``test_contract_bigbluebutton.py``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import Route

from tests.sandbox.support import BBB, SECRET, T0, VILT, Receiver, text, xml
from vilt.clock import AdjustableClock
from vilt.core.launch import LaunchRole
from vilt.core.sessions import EventKind
from vilt.providers.base import ConnectionState, MeetingRef, MeetingSpec, Person, ProviderContext
from vilt.providers.bigbluebutton import webhooks
from vilt.providers.bigbluebutton.adapter import BigBlueButtonAdapter
from vilt.providers.bigbluebutton.config import BigBlueButtonSettings
from vilt.providers.errors import AuthExpired, Invalid, NotFound, Retriable
from vilt.providers.http import HttpEnvironment
from vilt.sandbox.bigbluebutton import BigBlueButtonSimulator

Build = Callable[..., BigBlueButtonAdapter]
LEARNER = Person(identity="v0123456789abcdef", name="Lea Learner", email="lea@example.com")
HOST = Person(identity="i0123456789abcdef", name="Irene Host", email="irene@example.com")


def html_app() -> Starlette:
    async def page(request: Any) -> HTMLResponse:
        return HTMLResponse("<!doctype html><h1>Welcome to nginx!</h1>")

    return Starlette(routes=[Route("/{path:path}", page)])


def redirect_app() -> Starlette:
    async def moved(request: Any) -> RedirectResponse:
        return RedirectResponse("https://bbb.example.com/bigbluebutton/api?x=1", status_code=301)

    return Starlette(routes=[Route("/{path:path}", moved)])


@pytest.fixture
async def build(clock: AdjustableClock, sim: BigBlueButtonSimulator) -> AsyncIterator[Build]:
    made: list[BigBlueButtonAdapter] = []

    def make(
        *,
        secret: str = SECRET,
        algorithm: str = "sha256",
        server_url: str = f"{BBB}/bigbluebutton/",
        routes: dict[str, Any] | None = None,
    ) -> BigBlueButtonAdapter:
        settings = BigBlueButtonSettings(
            server_url=server_url, secret=SecretStr(secret), checksum_algorithm=algorithm
        )
        http = HttpEnvironment(timeout=5, routes=routes if routes is not None else {BBB: sim.app})
        adapter = BigBlueButtonAdapter(settings, ProviderContext(http=http, clock=clock, base_url=VILT))
        made.append(adapter)
        return adapter

    yield make
    for adapter in made:
        await adapter.aclose()


@pytest.fixture
def adapter(build: Build) -> BigBlueButtonAdapter:
    return build()


def spec(**overrides: Any) -> MeetingSpec:
    values: dict[str, Any] = {
        "session_key": "0f3a9c",
        "title": "Onboarding   for  new staff",
        "kind": EventKind.MEETING,
        "starts_at": T0 + timedelta(hours=1),
        "duration": timedelta(minutes=60),
        "time_zone": "Europe/Berlin",
        "callback_urls": {
            "analytics": f"{VILT}/api/v1/callbacks/bigbluebutton/i1/analytics",
            "end": f"{VILT}/api/v1/callbacks/bigbluebutton/i1/end?session=s1&token=t1",
        },
    }
    values.update(overrides)
    return MeetingSpec(**values)


async def enter(sim: BigBlueButtonSimulator, url: str) -> httpx.Response:
    """A browser opening a launch URL: the join call, then the client page."""
    assert url.startswith(f"{BBB}/bigbluebutton/api/join?")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app), base_url=BBB) as browser:
        return await browser.get(url, follow_redirects=True)


async def fault(sim: BigBlueButtonSimulator, **body: Any) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app), base_url=BBB) as control:
        assert (await control.post("/_sim/faults", json=body)).status_code == 200


# -- check -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("server_url", [f"{BBB}", f"{BBB}/bigbluebutton", f"{BBB}/bigbluebutton/api/"])
async def test_check_succeeds_with_the_server_version_as_label(build: Build, server_url: str) -> None:
    result = await build(server_url=server_url).check()
    assert result.ok
    assert result.state == ConnectionState.LINKED
    assert result.account_label == "BigBlueButton 3.0.4"
    assert result.field is None


async def test_check_with_a_wrong_secret_names_the_secret(build: Build) -> None:
    result = await build(secret="not-the-right-secret").check()
    assert not result.ok
    assert result.state == ConnectionState.ERROR
    assert result.field == "secret"
    assert "shared secret is wrong" in result.reason


async def test_check_tells_an_algorithm_the_server_refuses_from_a_wrong_secret(
    build: Build, clock: AdjustableClock
) -> None:
    older = BigBlueButtonSimulator(clock, secret=SECRET, algorithms=("sha1", "sha256"))
    result = await build(algorithm="sha512", routes={BBB: older.app}).check()
    assert not result.ok
    assert result.field == "checksum_algorithm"
    assert "does not accept sha512" in result.reason
    assert "choose sha256" in result.reason
    wrong = await build(algorithm="sha512", secret="wrong", routes={BBB: older.app}).check()
    assert wrong.field == "secret"


async def test_check_against_a_web_page_says_it_is_not_bigbluebutton(build: Build) -> None:
    result = await build(
        server_url="http://www.example.test/", routes={"http://www.example.test": html_app()}
    ).check()
    assert not result.ok
    assert result.field == "server_url"
    assert "not BigBlueButton" in result.reason


async def test_check_against_a_404_says_check_the_server_url(build: Build) -> None:
    result = await build(server_url="http://empty.test/", routes={"http://empty.test": Starlette()}).check()
    assert not result.ok
    assert result.field == "server_url"
    assert "check the server URL" in result.reason


async def test_check_against_a_redirect_says_where_it_points(build: Build) -> None:
    result = await build(
        server_url="http://moved.test/", routes={"http://moved.test": redirect_app()}
    ).check()
    assert not result.ok
    assert result.field == "server_url"
    assert "redirects to https://bbb.example.com/bigbluebutton/api" in result.reason
    assert "x=1" not in result.reason


async def test_check_against_an_unreachable_host_says_it_could_not_reach_it(build: Build) -> None:
    result = await build(server_url="http://127.0.0.1:9/", routes={}).check()
    assert not result.ok
    assert result.field == "server_url"
    assert result.reason.startswith("Could not reach http://127.0.0.1:9/bigbluebutton/api")
    assert "Could not connect" in result.reason


async def test_check_never_shows_credentials_pasted_into_the_url(build: Build) -> None:
    result = await build(server_url="http://admin:hunter2@127.0.0.1:9/", routes={}).check()
    assert not result.ok
    assert "hunter2" not in result.reason
    assert "127.0.0.1:9" in result.reason


async def test_check_when_the_server_fails(build: Build, sim: BigBlueButtonSimulator) -> None:
    await fault(sim, status=502, count=1)
    result = await build().check()
    assert not result.ok
    assert result.field == "server_url"
    assert "HTTP 502" in result.reason


# -- create, update, delete ------------------------------------------------------------------------


async def test_create_is_idempotent_per_session_key(
    adapter: BigBlueButtonAdapter, sim: BigBlueButtonSimulator, clock: AdjustableClock
) -> None:
    first = await adapter.create_meeting(spec())
    clock.advance(120)
    second = await adapter.create_meeting(spec())
    assert first.ref == second.ref == "vilt-0f3a9c"
    assert first.data["createTime"] == second.data["createTime"] == str(int(T0.timestamp() * 1000))
    assert first.data["internalMeetingID"] == second.data["internalMeetingID"]
    assert list(sim.live) == ["vilt-0f3a9c"]
    assert sim.calls.count(("GET", "/bigbluebutton/api/create")) == 2


async def test_create_sends_what_the_session_needs(
    adapter: BigBlueButtonAdapter, sim: BigBlueButtonSimulator
) -> None:
    ref = await adapter.create_meeting(spec(description="Bring questions."))
    meeting = sim.live[ref.ref]
    assert meeting.name == "Onboarding for new staff"
    assert meeting.keep_events
    assert meeting.duration_minutes == 0  # BBB counts duration from create: Vilt ends the meeting itself
    # nobody may join for a while: the meeting lives until the scheduled end plus the auto-end grace
    assert meeting.expire_if_no_join == timedelta(hours=1, minutes=60 + 120)
    assert meeting.metadata == {
        "bbb-origin": "Vilt",
        "analytics-callback-url": f"{VILT}/api/v1/callbacks/bigbluebutton/i1/analytics",
        "endcallbackurl": f"{VILT}/api/v1/callbacks/bigbluebutton/i1/end?session=s1&token=t1",
    }


async def test_a_meeting_created_a_day_ahead_is_there_for_the_session(
    adapter: BigBlueButtonAdapter, sim: BigBlueButtonSimulator, clock: AdjustableClock
) -> None:
    ref = await adapter.create_meeting(spec(starts_at=T0 + timedelta(days=1)))
    clock.advance(24 * 3600 - 10 * 60)
    assert (await enter(sim, adapter.join_url(ref, LEARNER, LaunchRole.PARTICIPANT))).status_code == 200
    clock.advance(60 * 60 + 30 * 60)  # well into the session: still running
    status = await adapter.live_status(ref)
    assert (status.exists, status.running) == (True, True)


async def test_update_keeps_the_meeting(adapter: BigBlueButtonAdapter, sim: BigBlueButtonSimulator) -> None:
    ref = await adapter.create_meeting(spec())
    updated = await adapter.update_meeting(ref, spec(title="Renamed"))
    assert updated.ref == ref.ref
    assert updated.data["createTime"] == ref.data["createTime"]
    assert len(sim.live) == 1


async def test_an_expired_meeting_is_created_again_with_a_new_create_time(
    adapter: BigBlueButtonAdapter, sim: BigBlueButtonSimulator, clock: AdjustableClock
) -> None:
    ref = await adapter.create_meeting(
        spec(starts_at=T0, duration=timedelta(minutes=1), keep_alive=timedelta(0))
    )
    old_url = adapter.join_url(ref, LEARNER, LaunchRole.PARTICIPANT)
    clock.advance(10 * 60)
    assert not (await adapter.live_status(ref)).exists
    again = await adapter.create_meeting(spec())
    assert again.ref == ref.ref
    assert again.data["createTime"] != ref.data["createTime"]
    # a URL made for the earlier meeting cannot join the new one
    stale = xml(await enter(sim, old_url))
    assert text(stale, "messageKey") == "mismatchCreateTimeParam"
    assert (await enter(sim, adapter.join_url(again, LEARNER, LaunchRole.PARTICIPANT))).status_code == 200


# -- launch, start, live status, end ---------------------------------------------------------------


async def test_join_urls_are_accepted_with_role_and_user_id(
    adapter: BigBlueButtonAdapter, sim: BigBlueButtonSimulator
) -> None:
    ref = await adapter.create_meeting(spec())
    calls = len(sim.calls)
    learner_url = adapter.join_url(ref, LEARNER, LaunchRole.PARTICIPANT)
    host_url = await adapter.host_url(ref, HOST)
    assert len(sim.calls) == calls  # computed locally: launch never waits on the provider
    query = parse_qs(urlsplit(learner_url).query)
    assert query["role"] == ["VIEWER"]
    assert query["userID"] == [LEARNER.identity]
    assert query["fullName"] == ["Lea Learner"]
    assert query["createTime"] == [ref.data["createTime"]]
    assert len(query["checksum"][0]) == 64  # sha256, as configured
    assert parse_qs(urlsplit(host_url).query)["role"] == ["MODERATOR"]

    learner_page = await enter(sim, learner_url)
    assert learner_page.status_code == 200
    assert "Lea Learner" in learner_page.text
    assert (await enter(sim, host_url)).status_code == 200

    status = await adapter.live_status(ref)
    assert status.exists
    assert status.running
    assert status.started_at == T0
    assert status.data == {"createTime": ref.data["createTime"]}
    present = {p.bound_identity: p for p in status.present}
    assert set(present) == {LEARNER.identity, HOST.identity}
    assert present[LEARNER.identity].role == "viewer"
    assert present[HOST.identity].role == "moderator"
    assert present[LEARNER.identity].display_name == "Lea Learner"


async def test_a_tampered_join_url_is_refused(
    adapter: BigBlueButtonAdapter, sim: BigBlueButtonSimulator
) -> None:
    ref = await adapter.create_meeting(spec())
    url = adapter.join_url(ref, LEARNER, LaunchRole.PARTICIPANT).replace("role=VIEWER", "role=MODERATOR")
    assert text(xml(await enter(sim, url)), "messageKey") == "checksumError"


async def test_live_status_of_a_created_a_running_and_a_missing_meeting(
    adapter: BigBlueButtonAdapter, sim: BigBlueButtonSimulator
) -> None:
    ref = await adapter.create_meeting(spec())
    created = await adapter.live_status(ref)
    assert (created.exists, created.running, created.started_at, created.present) == (True, False, None, ())
    await enter(sim, adapter.join_url(ref, LEARNER, LaunchRole.PARTICIPANT))
    assert (await adapter.live_status(ref)).running
    missing = await adapter.live_status(MeetingRef("vilt-nope"))
    assert (missing.exists, missing.running) == (False, False)


# -- attendance: the callback, through the parser ----------------------------------------------------


async def test_attendance_arrives_by_the_analytics_callback(build: Build, clock: AdjustableClock) -> None:
    receiver = Receiver()
    sim = BigBlueButtonSimulator(clock, secret=SECRET, outbound=receiver.client)
    adapter = build(routes={BBB: sim.app})
    ref = await adapter.create_meeting(spec())
    clock.advance(55 * 60)
    await enter(sim, await adapter.host_url(ref, HOST))
    clock.advance(5 * 60)
    await enter(sim, adapter.join_url(ref, LEARNER, LaunchRole.PARTICIPANT))  # at the start
    clock.advance(20 * 60)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app), base_url=BBB) as control:
        await control.post(f"/_sim/meetings/{ref.ref}/leave", json={"user_id": LEARNER.identity})
        clock.advance(2 * 60)  # a dropped connection
        await control.post(
            f"/_sim/meetings/{ref.ref}/join", json={"name": "Lea Learner", "user_id": LEARNER.identity}
        )
        clock.advance(10 * 60)
        await control.post(
            f"/_sim/meetings/{ref.ref}/polls", json={"user_id": LEARNER.identity, "answered": 1, "asked": 1}
        )
    clock.advance(20 * 60)
    await adapter.end_meeting(ref)
    await sim.drain()
    fetched = await adapter.fetch_attendance(ref, spec())
    assert not fetched.ready
    assert "analytics callback" in fetched.reason

    posted = receiver.of("POST")[0]
    parsed = webhooks.parse_analytics(
        authorization=posted.headers["authorization"],
        body=posted.body,
        form={},
        secret=SECRET,
        now=clock.now(),
    )
    assert isinstance(parsed, webhooks.AnalyticsData)
    assert parsed.meeting_id == ref.ref
    reports = {r.bound_identity: r for r in parsed.reports}
    learner = reports[LEARNER.identity]
    start = T0 + timedelta(hours=1)
    assert [(i.start - start, i.end - start) for i in learner.intervals] == [
        (timedelta(0), timedelta(minutes=20)),
        (timedelta(minutes=22), timedelta(minutes=52)),
    ]
    assert learner.total_seconds == 50 * 60
    assert (learner.engagement.polls_answered, learner.engagement.polls_asked) == (1, 1)
    host = reports[HOST.identity]
    assert host.role == "moderator"
    assert host.total_seconds == 57 * 60
    [got] = receiver.of("GET")
    assert parse_qs(urlsplit(got.url).query)["recordingmarks"] == ["false"]


# -- errors ----------------------------------------------------------------------------------------


async def test_a_refused_checksum_is_auth_expired(build: Build) -> None:
    with pytest.raises(AuthExpired) as caught:
        await build(secret="rotated-on-the-server").create_meeting(spec())
    assert "shared secret" in caught.value.reason


@pytest.mark.parametrize(
    ("status", "error"), [(400, Invalid), (404, NotFound), (503, Retriable), (408, Retriable)]
)
async def test_other_statuses(
    adapter: BigBlueButtonAdapter, sim: BigBlueButtonSimulator, status: int, error: type
) -> None:
    await fault(sim, status=status, count=1, path_prefix="/bigbluebutton/api/create")
    with pytest.raises(error):
        await adapter.create_meeting(spec())


async def test_an_unreadable_answer_is_retriable(build: Build) -> None:
    adapter = build(server_url="http://www.example.test/", routes={"http://www.example.test": html_app()})
    with pytest.raises(Retriable, match="could not be read"):
        await adapter.live_status(MeetingRef("vilt-x"))


async def test_no_connection_is_retriable(build: Build) -> None:
    with pytest.raises(Retriable, match="Could not connect"):
        await build(server_url="http://127.0.0.1:9/", routes={}).create_meeting(spec())
