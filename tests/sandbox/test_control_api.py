"""The shared ``/_sim/`` control API (SPEC §7) on the BigBlueButton simulator: participants, polls,
the provider-side end, fault switches, and errors as JSON."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.sandbox.support import signed, text, xml
from vilt.clock import AdjustableClock
from vilt.sandbox.bigbluebutton import BigBlueButtonSimulator


@pytest.fixture
async def meeting(api: httpx.AsyncClient) -> str:
    root = xml(await api.get(signed("create", [("name", "Class"), ("meetingID", "room-1")])))
    assert text(root, "returncode") == "SUCCESS"
    return "room-1"


async def attendees(api: httpx.AsyncClient, meeting_id: str) -> dict[str, str]:
    root = xml(await api.get(signed("getMeetingInfo", [("meetingID", meeting_id)])))
    return {a.findtext("userID") or "": a.findtext("role") or "" for a in root.iter("attendee")}


# -- meetings and participants ---------------------------------------------------------------------


async def test_meetings_lists_what_the_simulator_holds(api: httpx.AsyncClient, meeting: str) -> None:
    [listed] = (await api.get("/_sim/meetings")).json()["meetings"]
    assert listed["id"] == meeting
    assert listed["state"] == "created"
    assert listed["create_time"]
    assert listed["participants"] == []


async def test_join_and_leave_now(api: httpx.AsyncClient, meeting: str, clock: AdjustableClock) -> None:
    joined = await api.post(
        f"/_sim/meetings/{meeting}/join",
        json={"email": "Lea@Example.com", "name": "Lea", "user_id": "v-lea", "role": "attendee"},
    )
    assert joined.status_code == 200
    assert joined.json()["user_id"] == "v-lea"
    host = await api.post(
        f"/_sim/meetings/{meeting}/join", json={"name": "Host", "user_id": "i-host", "role": "host"}
    )
    assert host.status_code == 200
    assert await attendees(api, meeting) == {"v-lea": "VIEWER", "i-host": "MODERATOR"}
    [listed] = (await api.get("/_sim/meetings")).json()["meetings"]
    assert listed["state"] == "running"

    clock.advance(30)
    left = await api.post(f"/_sim/meetings/{meeting}/leave", json={"email": "lea@example.com"})  # any case
    assert left.status_code == 200
    assert left.json()["user_id"] == "v-lea"
    assert await attendees(api, meeting) == {"i-host": "MODERATOR"}


async def test_join_with_only_an_email_gets_an_internal_user_id(api: httpx.AsyncClient, meeting: str) -> None:
    joined = await api.post(f"/_sim/meetings/{meeting}/join", json={"email": "walk-in@example.com"})
    assert joined.status_code == 200
    assert joined.json()["user_id"].startswith("w_")


async def test_polls_are_recorded_per_participant(
    api: httpx.AsyncClient, meeting: str, sim: BigBlueButtonSimulator
) -> None:
    await api.post(f"/_sim/meetings/{meeting}/join", json={"name": "Lea", "user_id": "v-lea"})
    answered = await api.post(
        f"/_sim/meetings/{meeting}/polls", json={"user_id": "v-lea", "answered": 2, "asked": 3}
    )
    assert answered.json() == {"user_id": "v-lea", "answered": 2, "asked": 3}
    polls = sim.live[meeting].polls
    assert [bool(p["votes"]) for p in polls] == [True, True, False]


async def test_end_on_the_provider_side(api: httpx.AsyncClient, meeting: str) -> None:
    await api.post(f"/_sim/meetings/{meeting}/join", json={"name": "Lea", "user_id": "v-lea"})
    ended = await api.post(f"/_sim/meetings/{meeting}/end")
    assert ended.status_code == 200
    assert ended.json()["id"] == meeting
    root = xml(await api.get(signed("getMeetingInfo", [("meetingID", meeting)])))
    assert text(root, "messageKey") == "notFound"
    [listed] = (await api.get("/_sim/meetings")).json()["meetings"]
    assert listed["state"] == "ended"
    assert listed["participants"][0]["present"] is False


async def test_meeting_ids_may_contain_slashes(api: httpx.AsyncClient) -> None:
    xml(await api.get(signed("create", [("name", "Class"), ("meetingID", "course/7-a")])))
    joined = await api.post("/_sim/meetings/course/7-a/join", json={"name": "Lea", "user_id": "v-lea"})
    assert joined.status_code == 200
    assert await attendees(api, "course/7-a") == {"v-lea": "VIEWER"}


# -- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/_sim/meetings/nope/join", {"name": "Lea"}, 404),
        ("/_sim/meetings/nope/leave", {"email": "a@b.c"}, 404),
        ("/_sim/meetings/nope/polls", {"email": "a@b.c", "answered": 0, "asked": 1}, 404),
        ("/_sim/meetings/nope/end", {}, 404),
        ("/_sim/meetings/room-1/leave", {"email": "nobody@example.com"}, 404),
        ("/_sim/meetings/room-1/leave", {}, 400),
        ("/_sim/meetings/room-1/join", {"role": "host"}, 400),
        ("/_sim/meetings/room-1/join", [1, 2], 400),
        ("/_sim/meetings/room-1/polls", {"email": "a@b.c", "answered": 2, "asked": 1}, 400),
        ("/_sim/meetings/room-1/polls", {"email": "a@b.c", "answered": "1", "asked": 1}, 400),
        ("/_sim/faults", {"count": 1}, 400),
        ("/_sim/faults", {"status": 200}, 400),
        ("/_sim/faults", {"status": 500, "count": 0}, 400),
        ("/_sim/faults", {"status": 500, "delay_ms": "soon"}, 400),
        ("/_sim/faults", {"status": 500, "delay_ms": -5}, 400),
        ("/_sim/faults", {"status": 429, "retry_after": "later"}, 400),
        ("/_sim/faults", {"status": 500, "path_prefix": 7}, 400),
        ("/_sim/faults", {"status": True}, 400),
    ],
)
async def test_errors_are_json_with_a_status(
    api: httpx.AsyncClient, meeting: str, path: str, body: object, status: int
) -> None:
    response = await api.post(path, json=body)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]


async def test_a_body_that_is_not_json_is_a_400(api: httpx.AsyncClient, meeting: str) -> None:
    response = await api.post(f"/_sim/meetings/{meeting}/join", content=b"name=Lea")
    assert response.status_code == 400
    assert response.json() == {"error": "The body must be JSON."}


# -- faults ----------------------------------------------------------------------------------------


async def fault(api: httpx.AsyncClient, **body: object) -> None:
    response = await api.post("/_sim/faults", json=body)
    assert response.status_code == 200, response.text


async def test_a_429_carries_retry_after(api: httpx.AsyncClient) -> None:
    await fault(api, status=429, count=1, retry_after=7)
    limited = await api.get(signed("getMeetings"))
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "7"
    assert (await api.get(signed("getMeetings"))).status_code == 200


async def test_the_default_retry_after_is_one_second(api: httpx.AsyncClient) -> None:
    await fault(api, status=429)
    assert (await api.get(signed("getMeetings"))).headers["retry-after"] == "1"


async def test_count_decrements_until_the_fault_is_used_up(api: httpx.AsyncClient) -> None:
    await fault(api, status=500, count=2)
    statuses = [(await api.get(signed("getMeetings"))).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]


async def test_path_prefix_chooses_the_calls_that_fail(api: httpx.AsyncClient) -> None:
    await fault(api, status=503, count=1, path_prefix="/bigbluebutton/api/create")
    assert (await api.get(signed("getMeetings"))).status_code == 200
    assert (await api.get(signed("create", [("name", "Class"), ("meetingID", "r")]))).status_code == 503
    assert (await api.get(signed("create", [("name", "Class"), ("meetingID", "r")]))).status_code == 200


async def test_control_paths_are_never_faulted(api: httpx.AsyncClient, meeting: str) -> None:
    await fault(api, status=500, count=1)
    assert (await api.get("/_sim/meetings")).status_code == 200
    assert (await api.post(f"/_sim/meetings/{meeting}/join", json={"name": "Lea"})).status_code == 200
    assert (await api.get("/_sim/callbacks")).status_code == 200
    assert (await api.get(signed("getMeetings"))).status_code == 500  # still armed for the API


async def test_delay_ms_delays_the_call(api: httpx.AsyncClient) -> None:
    await fault(api, delay_ms=200, count=1)
    started = time.monotonic()
    delayed = await api.get(signed("getMeetings"))
    assert time.monotonic() - started >= 0.19
    assert delayed.status_code == 200  # a delay without a status answers normally
    started = time.monotonic()
    await api.get(signed("getMeetings"))
    assert time.monotonic() - started < 0.15


async def test_delete_clears_the_faults(api: httpx.AsyncClient) -> None:
    await fault(api, status=500, count=5)
    cleared = await api.delete("/_sim/faults")
    assert cleared.json() == {"faults": 0}
    assert (await api.get(signed("getMeetings"))).status_code == 200


async def test_faults_follow_a_mount_prefix(clock: AdjustableClock) -> None:
    """As in ``vilt demo``: the simulator mounted under /sandbox/bigbluebutton."""
    from starlette.applications import Starlette
    from starlette.routing import Mount

    sim = BigBlueButtonSimulator(clock)
    outer = Starlette(routes=[Mount("/sandbox/bigbluebutton", app=sim.app)])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=outer), base_url="http://vilt.test"
    ) as client:
        armed = await client.post(
            "/sandbox/bigbluebutton/_sim/faults",
            json={"status": 500, "path_prefix": "/bigbluebutton/api/getMeetings"},
        )
        assert armed.status_code == 200
        url = "/sandbox/bigbluebutton" + signed("getMeetings", secret=sim.secret)
        assert (await client.get(url)).status_code == 500
        assert (await client.get(url)).status_code == 200


async def test_reset_forgets_meetings_and_faults(
    api: httpx.AsyncClient, meeting: str, sim: BigBlueButtonSimulator
) -> None:
    await fault(api, status=500, count=3)
    assert (await api.post("/_sim/reset")).json() == {"reset": True}
    assert (await api.get("/_sim/meetings")).json() == {"meetings": []}
    assert (await api.get(signed("getMeetings"))).status_code == 200
    assert sim.calls == [("GET", "/bigbluebutton/api/getMeetings")]
