"""What is particular to Zoom, against its simulator: the Server-to-Server token (cached, renewed
before expiry and on a 401), the check's diagnoses, meetings and webinars per event kind, the host
by the instructor's email, registrants in batches, a fresh start URL, the per-user daily quota
(counted before Zoom refuses), per-category pacing, Zoom's own 429s, and the participants report:
the right instances, double-encoded UUIDs, pages and expiring page tokens, segments merged per
person. The generic steps are in the shared contract (``test_contract_zoom.py``)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from tests.providers.contract import HOST, LEARNER, STARTS
from tests.providers.zoom_support import ZOOM, control, zoom_adapter
from vilt.clock import AdjustableClock
from vilt.core.sessions import EventKind
from vilt.providers.base import MeetingRef, MeetingSpec, MemoryState, Person, ProviderContext, Registrant
from vilt.providers.errors import Invalid, QuotaReached, RateLimited, Retriable
from vilt.providers.http import HttpEnvironment
from vilt.providers.zoom.adapter import MEETING_WRITES_PER_DAY, ZoomAdapter
from vilt.providers.zoom.config import ZoomSettings
from vilt.sandbox.zoom import ZoomSimulator
from vilt.sandbox.zoom_state import ZoomMeeting

VILT = "http://vilt.test"


@pytest.fixture
def zoom(clock: AdjustableClock) -> ZoomSimulator:
    sim = ZoomSimulator(clock, public_base=ZOOM)
    assert HOST.email is not None
    sim.state.add_user(HOST.email, HOST.name)
    return sim


@pytest.fixture
async def adapter(zoom: ZoomSimulator, clock: AdjustableClock) -> AsyncIterator[ZoomAdapter]:
    made = zoom_adapter(zoom, clock)
    yield made
    await made.aclose()


def spec(**overrides: Any) -> MeetingSpec:
    values: dict[str, Any] = {
        "session_key": "5e55",
        "title": "Zoom onboarding",
        "kind": EventKind.MEETING,
        "starts_at": STARTS,
        "duration": timedelta(hours=1),
        "time_zone": "Europe/Berlin",
        "host": HOST,
        "description": "Bring questions.",
    }
    values.update(overrides)
    return MeetingSpec(**values)


def meeting_of(zoom: ZoomSimulator, ref: MeetingRef) -> ZoomMeeting:
    return zoom.state.meetings[int(ref.ref)]


# -- the token ------------------------------------------------------------------------------------


async def test_the_token_is_cached_until_shortly_before_it_expires(
    adapter: ZoomAdapter, zoom: ZoomSimulator, clock: AdjustableClock
) -> None:
    ref = await adapter.create_meeting(spec())
    await adapter.host_url(ref, HOST)
    assert zoom.tokens_issued == 1
    clock.advance(54 * 60)
    await adapter.host_url(ref, HOST)
    assert zoom.tokens_issued == 1
    clock.advance(2 * 60)  # within five minutes of the hour: renewed before it runs out
    await adapter.host_url(ref, HOST)
    assert zoom.tokens_issued == 2


async def test_a_revoked_token_is_renewed_on_the_401_and_the_call_goes_through(
    adapter: ZoomAdapter, zoom: ZoomSimulator
) -> None:
    ref = await adapter.create_meeting(spec())
    zoom.expire_tokens()
    assert (await adapter.host_url(ref, HOST)).startswith(f"{ZOOM}/s/")
    assert zoom.tokens_issued == 2


# -- check ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"account_id": "someone-else"}, "account_id"),
        ({"client_secret": "wrong"}, "client_secret"),
        ({"client_id": "wrong"}, "client_secret"),
        ({"default_host_email": "nobody@example.com"}, "default_host_email"),
        ({"oauth_url": "http://127.0.0.1:9"}, "oauth_url"),
    ],
)
async def test_check_names_the_setting_at_fault(
    zoom: ZoomSimulator, clock: AdjustableClock, overrides: dict[str, Any], field: str
) -> None:
    made = zoom_adapter(zoom, clock, **overrides)
    result = await made.check()
    await made.aclose()
    assert not result.ok
    assert result.field == field, result.reason
    assert zoom.client_secret not in result.reason


async def test_check_reads_the_account_user_and_says_which_account(adapter: ZoomAdapter) -> None:
    result = await adapter.check()
    assert result.ok
    assert result.account_label == "Zoom account sim-account-1 (owner@zoom.sim.test)"


# -- meetings, webinars, hosts --------------------------------------------------------------------


async def test_a_meeting_is_type_2_and_a_webinar_type_5_both_with_registration(
    adapter: ZoomAdapter, zoom: ZoomSimulator
) -> None:
    meeting = meeting_of(zoom, await adapter.create_meeting(spec()))
    webinar_ref = await adapter.create_meeting(spec(session_key="w1", kind=EventKind.WEBINAR))
    webinar = meeting_of(zoom, webinar_ref)
    assert (meeting.kind, meeting.type) == ("meeting", 2)
    assert (webinar.kind, webinar.type) == ("webinar", 5)
    assert webinar_ref.data["kind"] == "webinar"
    for created in (meeting, webinar):
        assert created.host.email == HOST.email
        assert created.settings["approval_type"] == 0  # registration on, approved automatically
        assert created.start_time == STARTS
        assert created.duration == 60
        assert created.timezone == "Europe/Berlin"
    assert meeting.agenda.startswith("Bring questions.")


async def test_an_instructor_without_a_zoom_user_gets_a_clear_reason(adapter: ZoomAdapter) -> None:
    stranger = Person("i9", "Sam Stranger", "sam@example.com")
    with pytest.raises(Invalid) as caught:
        await adapter.create_meeting(spec(host=stranger))
    assert caught.value.field == "instructor_ids"
    assert "sam@example.com has no Zoom user in this Zoom account" in caught.value.reason


async def test_a_session_without_instructor_is_hosted_by_the_default_host(
    zoom: ZoomSimulator, clock: AdjustableClock
) -> None:
    zoom.state.add_user("rooms@example.com", "Training Rooms")
    made = zoom_adapter(zoom, clock, default_host_email="rooms@example.com")
    ref = await made.create_meeting(spec(host=None))
    await made.aclose()
    assert meeting_of(zoom, ref).host.email == "rooms@example.com"


async def test_an_update_changes_the_meeting_and_a_meeting_deleted_on_zoom_is_made_again(
    adapter: ZoomAdapter, zoom: ZoomSimulator
) -> None:
    ref = await adapter.create_meeting(spec())
    await adapter.update_meeting(ref, spec(title="Moved", starts_at=STARTS + timedelta(days=1)))
    assert meeting_of(zoom, ref).topic == "Moved"
    del zoom.state.meetings[int(ref.ref)]  # someone deleted it in Zoom
    again = await adapter.update_meeting(ref, spec(title="Moved"))
    assert again.ref != ref.ref
    assert meeting_of(zoom, again).topic == "Moved"


async def test_the_start_url_is_fetched_fresh_because_it_expires(
    adapter: ZoomAdapter, zoom: ZoomSimulator, clock: AdjustableClock
) -> None:
    ref = await adapter.create_meeting(spec())
    first = await adapter.host_url(ref, HOST)
    clock.advance(2 * 3600 + 1)
    async with control(zoom) as browser:
        assert (await browser.get(first)).status_code == 410  # the zak ran out
        fresh = await adapter.host_url(ref, HOST)
        assert fresh != first
        assert (await browser.get(fresh)).status_code == 200


# -- registrants ----------------------------------------------------------------------------------


async def test_many_learners_are_registered_in_batches_of_30(
    adapter: ZoomAdapter, zoom: ZoomSimulator
) -> None:
    ref = await adapter.create_meeting(spec())
    people = [Person(f"v{n:04}", f"Learner {n}", f"learner{n}@example.com") for n in range(65)]
    registered = await adapter.register(ref, people)
    assert len(registered) == 65
    assert len({r.join_url for r in registered}) == 65
    assert {r.identity for r in registered} == {p.identity for p in people}
    batches = [c for c in zoom.calls if c[1].endswith("/batch_registrants")]
    assert len(batches) == 3
    assert len(meeting_of(zoom, ref).registrants) == 65


def failing_second_batch(
    zoom: ZoomSimulator, clock: AdjustableClock, path_suffix: str
) -> tuple[ZoomAdapter, dict[str, int]]:
    """An adapter whose Zoom answers 503 to the second call ending in ``path_suffix``; set the
    counter's ``seen`` to choose which call comes next."""
    batches = {"seen": 0}

    async def second_batch_fails(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].endswith(path_suffix):
            batches["seen"] += 1
            if batches["seen"] == 2:
                failed = JSONResponse({"code": 503, "message": "Service unavailable."}, 503)
                await failed(scope, receive, send)
                return
        await zoom.app(scope, receive, send)

    settings = ZoomSettings.model_validate({**zoom.integration_settings(), "plan": "business"})
    http = HttpEnvironment(routes={ZOOM: second_batch_fails})
    return ZoomAdapter(settings, ProviderContext(http=http, clock=clock, base_url=VILT)), batches


async def test_a_failing_batch_keeps_the_registrations_that_succeeded(
    zoom: ZoomSimulator, clock: AdjustableClock
) -> None:
    made, batches = failing_second_batch(zoom, clock, "/batch_registrants")
    ref = await made.create_meeting(spec())
    people = [Person(f"v{n:04}", f"Learner {n}", f"learner{n}@example.com") for n in range(40)]
    registered = await made.register(ref, people)
    assert [r.identity for r in registered] == [p.identity for p in people[:30]]  # kept; the rest waits
    batches["seen"] = 1
    with pytest.raises(Retriable):  # a batch that fails first is an error (retried later)
        await made.register(ref, people[30:])
    rest = await made.register(ref, people[30:])
    await made.aclose()
    assert len(rest) == 10


async def test_registrations_are_canceled_in_batches_of_30_as_light_calls_with_id_and_email(
    adapter: ZoomAdapter, zoom: ZoomSimulator
) -> None:
    ref = await adapter.create_meeting(spec(kind=EventKind.WEBINAR))
    people = [Person(f"v{n:04}", f"Learner {n}", f"learner{n}@example.com") for n in range(65)]
    registered = await adapter.register(ref, people)
    leaving = [Registrant(r.registrant_id, f"learner{n}@example.com") for n, r in enumerate(registered[:61])]
    zoom.calls.clear()
    canceled = await adapter.cancel_registrations(ref, leaving)
    assert canceled == [r.registrant_id for r in leaving]
    assert zoom.calls == [("PUT", f"/v2/webinars/{ref.ref}/registrants/status")] * 3
    assert zoom.api.category(f"/v2/webinars/{ref.ref}/registrants/status", "PUT") == "Light"
    statuses = [r.status for r in meeting_of(zoom, ref).registrants.values()]
    assert (statuses.count("canceled"), statuses.count("approved")) == (61, 4)


async def test_a_failing_cancel_batch_keeps_what_succeeded_and_a_deleted_meeting_has_nothing_to_cancel(
    zoom: ZoomSimulator, clock: AdjustableClock
) -> None:
    made, batches = failing_second_batch(zoom, clock, "/registrants/status")
    ref = await made.create_meeting(spec())
    people = [Person(f"v{n:04}", f"Learner {n}", f"learner{n}@example.com") for n in range(40)]
    leaving = [Registrant(r.registrant_id) for r in await made.register(ref, people)]
    assert await made.cancel_registrations(ref, leaving) == [r.registrant_id for r in leaving[:30]]
    batches["seen"] = 1
    with pytest.raises(Retriable):  # a batch that fails first is an error (retried later)
        await made.cancel_registrations(ref, leaving[30:])
    await made.delete_meeting(ref)
    assert await made.cancel_registrations(ref, leaving[30:]) == [r.registrant_id for r in leaving[30:]]
    await made.aclose()


# -- quotas and rate limits -----------------------------------------------------------------------


async def test_the_daily_meeting_writes_of_a_user_are_counted_and_refused_before_zoom_refuses(
    zoom: ZoomSimulator, clock: AdjustableClock
) -> None:
    state = MemoryState()
    made = zoom_adapter(zoom, clock, state=state)
    day = clock.now().date().isoformat()
    state.quotas[("meeting_writes", "irene@example.com", day)] = MEETING_WRITES_PER_DAY - 1
    ref = await made.create_meeting(spec())  # the 100th write of the day
    calls = len(zoom.calls)
    with pytest.raises(QuotaReached) as caught:
        await made.update_meeting(ref, spec(title="One change too many"))
    await made.aclose()
    assert not caught.value.account_wide  # other instructors carry on
    assert "100 meeting creates and updates per user per day" in caught.value.reason
    assert "irene@example.com" in caught.value.reason
    midnight = datetime(2026, 3, 3, tzinfo=UTC)
    assert caught.value.defer == midnight - clock.now()
    assert len(zoom.calls) == calls, "refused before asking Zoom"


async def test_a_refused_write_gives_its_count_back(zoom: ZoomSimulator, clock: AdjustableClock) -> None:
    state = MemoryState()
    made = zoom_adapter(zoom, clock, state=state)
    with pytest.raises(Invalid):
        await made.create_meeting(spec(host=Person("i9", "Sam", "sam@example.com")))
    await made.aclose()
    assert state.quotas.get(("meeting_writes", "sam@example.com", clock.now().date().isoformat()), 0) == 0


async def test_zooms_own_per_user_cap_is_a_quota_of_that_user(
    zoom: ZoomSimulator, clock: AdjustableClock
) -> None:
    made = zoom_adapter(zoom, clock)  # a fresh count: another process used this user's writes
    user = zoom.state.user("irene@example.com")
    assert user is not None
    zoom.state.writes[(user.id, clock.now().date().isoformat())] = 100
    with pytest.raises(QuotaReached) as caught:
        await made.create_meeting(spec())
    await made.aclose()
    assert "particular user" in caught.value.reason
    assert caught.value.defer == datetime(2026, 3, 3, tzinfo=UTC) - clock.now()


async def test_a_daily_limit_429_waits_until_the_iso_time_zoom_gives(
    adapter: ZoomAdapter, zoom: ZoomSimulator, clock: AdjustableClock
) -> None:
    async with control(zoom) as sim:
        await sim.post(
            "/_sim/faults", json={"status": 429, "count": 1, "retry_after": 5400, "path_prefix": "/v2"}
        )
    with pytest.raises(RateLimited) as caught:
        await adapter.create_meeting(spec())
    assert caught.value.account_wide
    assert caught.value.defer == timedelta(seconds=5400)
    assert "Daily-limit" in caught.value.reason


async def test_calls_are_paced_per_category_and_stay_under_zooms_per_second_limits(
    clock: AdjustableClock,
) -> None:
    # Zoom counts per second in wall-clock time: the simulator enforces Light = 30/s (Pro plan)
    strict = ZoomSimulator(clock, public_base=ZOOM, enforce_qps=True)
    assert HOST.email is not None
    strict.state.add_user(HOST.email, HOST.name)
    made = zoom_adapter(strict, clock, plan="pro")
    ref = await made.create_meeting(spec())
    started = time.monotonic()
    for _ in range(45):
        await made.host_url(ref, HOST)  # Light calls, as fast as the adapter lets them go: no 429
    elapsed = time.monotonic() - started
    await made.aclose()
    # spaced at 80 % of 30/s, however fast (or slow) this machine is
    assert elapsed >= 44 / 24 - 0.05


# -- attendance: the participants report -----------------------------------------------------------


async def ended_meeting(adapter: ZoomAdapter, zoom: ZoomSimulator, clock: AdjustableClock) -> MeetingRef:
    ref = await adapter.create_meeting(spec())
    [registration] = await adapter.register(ref, [LEARNER])
    clock.advance(3600)
    async with control(zoom) as browser:
        await browser.get(await adapter.host_url(ref, HOST))
        await browser.get(registration.join_url)
        clock.advance(10 * 60)
        await browser.post(f"/_sim/meetings/{ref.ref}/leave", json={"email": LEARNER.email})
        clock.advance(60)  # a dropped connection
        await browser.get(registration.join_url)
        clock.advance(20 * 60)
        await browser.post(
            f"/_sim/meetings/{ref.ref}/join", json={"email": "guest@example.com", "name": "Gus"}
        )
        clock.advance(5 * 60)
    await adapter.end_meeting(ref)
    return ref


async def test_one_row_per_join_segment_becomes_one_report_per_person(
    adapter: ZoomAdapter, zoom: ZoomSimulator, clock: AdjustableClock
) -> None:
    ref = await ended_meeting(adapter, zoom, clock)
    fetched = await adapter.fetch_attendance(ref, spec())
    assert fetched.ready
    reports = {r.email: r for r in fetched.reports}
    learner = reports[LEARNER.email]
    assert learner.bound_identity in meeting_of(zoom, ref).registrants  # matched by registrant id
    assert len(learner.intervals) == 2
    assert learner.total_seconds == (10 + 25) * 60
    assert reports[HOST.email].role == "host"
    assert reports["guest@example.com"].bound_identity is None  # no registration: matched by email
    [instance] = fetched.raw["instances"]
    assert len(instance["participants"]) == 4  # host, learner twice, guest


async def test_only_the_instances_of_the_session_count_not_yesterdays_rehearsal(
    adapter: ZoomAdapter, zoom: ZoomSimulator, clock: AdjustableClock
) -> None:
    ref = await adapter.create_meeting(spec())
    day_before = STARTS - timedelta(days=1)
    zoom.record_past_instance(
        ref.ref,
        day_before,
        day_before + timedelta(minutes=5),
        [("Irene", "irene@example.com", "", day_before, day_before + timedelta(minutes=5))],
    )
    fetched = await adapter.fetch_attendance(ref, spec())
    assert not fetched.ready
    assert "no finished instance" in fetched.reason
    zoom.record_past_instance(
        ref.ref,
        STARTS,
        STARTS + timedelta(minutes=30),
        [("Lea", "lea@example.com", "", STARTS, STARTS + timedelta(minutes=30))],
    )
    # the host restarted the meeting after it dropped: both instances of the session count
    later = STARTS + timedelta(minutes=31)
    zoom.record_past_instance(
        ref.ref,
        later,
        later + timedelta(minutes=20),
        [("Lea", "lea@example.com", "", later, later + timedelta(minutes=20))],
    )
    fetched = await adapter.fetch_attendance(ref, spec())
    [lea] = fetched.reports
    assert lea.total_seconds == 50 * 60
    assert len(fetched.raw["instances"]) == 2


@pytest.mark.parametrize("uuid", ["/ajXp112QmuoKj4854875==", "4444AAAiAAAAAiAiAiiAii//==", "plainUUID+abc=="])
async def test_instance_uuids_with_slashes_are_encoded_twice(clock: AdjustableClock, uuid: str) -> None:
    sim = ZoomSimulator(clock, public_base=ZOOM, uuid_factory=lambda: uuid)
    assert HOST.email is not None
    sim.state.add_user(HOST.email, HOST.name)
    made = zoom_adapter(sim, clock)
    ref = await made.create_meeting(spec())
    sim.record_past_instance(
        ref.ref,
        STARTS,
        STARTS + timedelta(minutes=30),
        [("Lea", "lea@example.com", "", STARTS, STARTS + timedelta(minutes=30))],
    )
    fetched = await made.fetch_attendance(ref, spec())
    await made.aclose()
    assert fetched.ready
    assert [r.email for r in fetched.reports] == ["lea@example.com"]


def _rows(count: int) -> list[tuple[str, str, str, datetime, datetime]]:
    return [
        (
            f"P {n}",
            f"p{n}@example.com",
            "",
            STARTS + timedelta(seconds=n % 60),
            STARTS + timedelta(minutes=30),
        )
        for n in range(count)
    ]


async def test_a_page_token_that_expired_while_reading_starts_the_report_again(
    zoom: ZoomSimulator, clock: AdjustableClock
) -> None:
    served = {"pages": 0}

    async def slow_reader(scope: Scope, receive: Receive, send: Send) -> None:
        await zoom.app(scope, receive, send)
        if scope["type"] == "http" and "/report/" in scope["path"]:
            served["pages"] += 1
            if served["pages"] == 1:
                clock.advance(16 * 60)  # the first page took longer than Zoom keeps its token

    settings = ZoomSettings.model_validate({**zoom.integration_settings(), "plan": "business"})
    http = HttpEnvironment(routes={ZOOM: slow_reader})
    made = ZoomAdapter(settings, ProviderContext(http=http, clock=clock, base_url=VILT))
    ref = await made.create_meeting(spec())
    zoom.record_past_instance(ref.ref, STARTS, STARTS + timedelta(minutes=30), _rows(700))
    fetched = await made.fetch_attendance(ref, spec())
    await made.aclose()
    assert fetched.ready
    assert len(fetched.reports) == 700
    # page 1, page 2 refused (its token expired meanwhile), then pages 1 to 3 again
    assert served["pages"] == 2 + 3


async def test_10000_participants_across_pages(adapter: ZoomAdapter, zoom: ZoomSimulator) -> None:
    ref = await adapter.create_meeting(spec())
    rows = []
    for n in range(10_000):
        email = f"learner{n}@example.com"
        rows.append((f"Learner {n}", email, "", STARTS, STARTS + timedelta(minutes=20)))
        if n % 2 == 0:  # half of them reconnected once
            rows.append(
                (f"Learner {n}", email, "", STARTS + timedelta(minutes=21), STARTS + timedelta(minutes=50))
            )
    zoom.record_past_instance(ref.ref, STARTS, STARTS + timedelta(hours=1), rows)
    fetched = await adapter.fetch_attendance(ref, spec())
    assert fetched.ready
    assert len(fetched.reports) == 10_000
    pages = [c for c in zoom.calls if "/report/" in c[1]]
    assert len(pages) == -(-15_000 // 300)  # page size 300, every page read once
    totals = {r.email: r.total_seconds for r in fetched.reports}
    assert totals["learner0@example.com"] == (20 + 29) * 60
    assert totals["learner1@example.com"] == 20 * 60
