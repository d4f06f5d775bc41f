"""The worker: push with retries, auto-end, attendance by callback or polling, closing empty
sessions; and on PostgreSQL, leases that keep two workers apart and survive a killed worker."""

from __future__ import annotations

import asyncio
import json
import warnings
from datetime import timedelta
from typing import Any

import jwt
import pytest

from tests.conftest import BASE_URL, T0, Harness, iso
from vilt.jobs.worker import Worker


async def _session(harness: Harness, integration: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    event = (await harness.post("/api/v1/events", {"title": "Weekly sync"})).json()
    body = {
        "starts_at": (T0 + timedelta(hours=1)).isoformat(),
        "duration_minutes": 60,
        "integration_id": integration["id"],
    }
    body.update(overrides)
    response = await harness.post(f"/api/v1/events/{event['id']}/sessions", body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def _fault(harness: Harness, **fault: Any) -> None:
    response = await harness.client.post("/sandbox/bigbluebutton/_sim/faults", json=fault)
    assert response.status_code == 200, response.text


def _creates(harness: Harness) -> int:
    return sum(1 for _, path in harness.bbb.calls if path.endswith("/create"))


async def test_failed_push_keeps_the_session_shows_the_reason_and_retries_with_backoff(
    harness: Harness,
) -> None:
    integration = await harness.bbb_integration()
    await _fault(harness, status=503, count=1, path_prefix="/bigbluebutton/api/create")
    session = await _session(harness, integration)
    assert session["provider"]["state"] == "failed"
    assert "HTTP 503" in session["provider"]["error"]
    assert session["provider"]["retry_at"] == iso(T0 + timedelta(seconds=30))
    assert session["provider"]["ref"] is None

    await harness.tick()  # not yet: the back-off holds
    assert (await harness.get(f"/api/v1/sessions/{session['id']}")).json()["provider"]["state"] == "failed"
    await harness.advance(30)
    await harness.tick()
    again = (await harness.get(f"/api/v1/sessions/{session['id']}")).json()
    assert again["provider"]["state"] == "synced"
    assert again["provider"]["error"] is None
    assert len((await harness.client.get("/sandbox/bigbluebutton/_sim/meetings")).json()["meetings"]) == 1


async def test_rate_limited_push_waits_as_long_as_retry_after_says(harness: Harness) -> None:
    integration = await harness.bbb_integration()
    await _fault(harness, status=429, count=1, retry_after=120, path_prefix="/bigbluebutton/api/create")
    session = await _session(harness, integration)
    assert session["provider"]["retry_at"] == iso(T0 + timedelta(seconds=120))
    await harness.advance(60)
    await harness.tick()
    assert (await harness.get(f"/api/v1/sessions/{session['id']}")).json()["provider"]["state"] == "failed"
    await harness.advance(60)
    await harness.tick()
    assert (await harness.get(f"/api/v1/sessions/{session['id']}")).json()["provider"]["state"] == "synced"


async def test_retry_now_skips_the_backoff(harness: Harness) -> None:
    integration = await harness.bbb_integration()
    await _fault(harness, status=500, count=1, path_prefix="/bigbluebutton/api/create")
    session = await _session(harness, integration)
    retried = await harness.post(f"/api/v1/sessions/{session['id']}/sync")
    assert retried.json()["provider"]["state"] == "synced"


async def test_session_nobody_ended_is_ended_two_hours_after_its_scheduled_end(harness: Harness) -> None:
    integration = await harness.bbb_integration()
    session = await _session(harness, integration)
    meeting = session["provider"]["ref"]
    await harness.client.post(
        f"/sandbox/bigbluebutton/_sim/meetings/{meeting}/join", json={"name": "Someone", "user_id": "x1"}
    )
    await harness.advance(4 * 3600 - 1)  # one second before scheduled end + 2 h
    await harness.tick()
    assert (await harness.get(f"/api/v1/sessions/{session['id']}")).json()["state"] in ("scheduled", "live")
    await harness.advance(1)
    await harness.tick()
    ended = (await harness.get(f"/api/v1/sessions/{session['id']}")).json()
    assert ended["state"] == "ended"
    assert ended["ended_by"] == "auto-end"
    meetings = (await harness.client.get("/sandbox/bigbluebutton/_sim/meetings")).json()["meetings"]
    assert [m["state"] for m in meetings if m["id"] == meeting] == ["ended"]


async def test_session_nobody_started_is_closed_without_attendance_after_an_hour(harness: Harness) -> None:
    integration = await harness.bbb_integration()
    session = await _session(harness, integration)
    await harness.advance(3600)
    await harness.post(f"/api/v1/sessions/{session['id']}/end")
    for _ in range(11):  # polled every 5 minutes for the hour
        await harness.advance(300)
        await harness.tick()
        state = (await harness.get(f"/api/v1/sessions/{session['id']}")).json()["attendance"]
        assert state["state"] == "waiting"
    await harness.advance(300)
    await harness.tick()
    closed = (await harness.get(f"/api/v1/sessions/{session['id']}")).json()["attendance"]
    assert closed["state"] == "closed"
    assert "no attendance" in closed["note"].lower()
    assert (await harness.get(f"/api/v1/sessions/{session['id']}/roster/versions")).json() == []


async def test_without_the_analytics_callback_attendance_comes_from_what_was_seen_live(
    harness: Harness,
) -> None:
    harness.bbb.outbox.client_factory = None  # the callbacks never reach us
    integration = await harness.bbb_integration()
    learner = await harness.user("ana@example.com", "Ana")
    session = await _session(harness, integration)
    await harness.post(f"/api/v1/sessions/{session['id']}/enrollments", {"user_id": learner["id"]})
    await harness.advance(3600)
    launched = await harness.post(f"/api/v1/sessions/{session['id']}/launch", {"user_id": learner["id"]})
    await harness.client.get(launched.json()["url"])  # Ana enters the room
    for _ in range(30):
        await harness.advance(60)
        await harness.tick()
    assert (await harness.get(f"/api/v1/sessions/{session['id']}")).json()["state"] == "live"
    await harness.post(f"/api/v1/sessions/{session['id']}/end")
    await harness.advance(3600)
    await harness.tick()
    attendance = (await harness.get(f"/api/v1/sessions/{session['id']}/attendance")).json()
    assert attendance["state"] == "received"
    assert attendance["current_import"]["source"] == "poll"
    roster = (await harness.get(f"/api/v1/sessions/{session['id']}/roster")).json()
    assert roster["entries"][0]["attendance"] == "attended"


async def test_meeting_ended_on_the_provider_ends_the_session(harness: Harness) -> None:
    integration = await harness.bbb_integration()
    session = await _session(harness, integration)
    meeting = session["provider"]["ref"]
    await harness.advance(3600)
    await harness.client.post(
        f"/sandbox/bigbluebutton/_sim/meetings/{meeting}/join",
        json={"name": "Host", "user_id": "h1", "role": "moderator"},
    )
    await harness.advance(60)
    await harness.tick()
    assert (await harness.get(f"/api/v1/sessions/{session['id']}")).json()["state"] == "live"
    await harness.client.post(f"/sandbox/bigbluebutton/_sim/meetings/{meeting}/end")
    await harness.tick()
    ended = (await harness.get(f"/api/v1/sessions/{session['id']}")).json()
    assert ended["state"] == "ended"
    assert ended["ended_by"] == "provider"
    assert ended["attendance"]["state"] == "received"


def _analytics(
    meeting: str, secret: str, ext_user_id: str, *, minutes: int = 30
) -> tuple[dict[str, str], bytes]:
    start = T0 + timedelta(hours=1)
    finish = start + timedelta(minutes=minutes)
    body = {
        "meeting_id": meeting,
        "internal_meeting_id": "abc-1",
        "data": {
            "metadata": {},
            "duration": minutes * 60,
            "start": start.isoformat(),
            "finish": finish.isoformat(),
            "attendees": [
                {
                    "id": "w_1",
                    "ext_user_id": ext_user_id,
                    "name": "Ana",
                    "moderator": False,
                    "joins": [start.isoformat()],
                    "leaves": [finish.isoformat()],
                    "duration": minutes * 60,
                    "engagement": {},
                }
            ],
            "files": [],
            "polls": [],
        },
    }
    with warnings.catch_warnings():  # BigBlueButton secrets are shorter than PyJWT would like
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        token = jwt.encode({"exp": int((T0 + timedelta(days=2)).timestamp())}, secret, algorithm="HS512")
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}, json.dumps(body).encode()


async def test_analytics_callback_is_idempotent_and_refuses_a_bad_signature(harness: Harness) -> None:
    integration = await harness.bbb_integration()
    learner = await harness.user("ana@example.com", "Ana")
    session = await _session(harness, integration)
    enrollment = (
        await harness.post(f"/api/v1/sessions/{session['id']}/enrollments", {"user_id": learner["id"]})
    ).json()
    await harness.advance(3600)
    launched = await harness.post(f"/api/v1/sessions/{session['id']}/launch", {"user_id": learner["id"]})
    identity = launched.json()["url"].split("userID=")[1].split("&")[0]
    url = f"/api/v1/callbacks/bigbluebutton/{integration['id']}/analytics"

    forged_headers, body = _analytics(session["provider"]["ref"], "not-the-secret", identity)
    forged = await harness.client.post(url, headers=forged_headers, content=body)
    assert forged.status_code == 401
    assert (await harness.get(f"/api/v1/sessions/{session['id']}/roster/versions")).json() == []

    headers, body = _analytics(session["provider"]["ref"], harness.bbb.secret, identity)
    first = await harness.client.post(url, headers=headers, content=body)
    assert first.status_code == 200, first.text
    again = await harness.client.post(url, headers=headers, content=body)
    assert again.status_code == 202
    versions = (await harness.get(f"/api/v1/sessions/{session['id']}/roster/versions")).json()
    assert len(versions) == 1
    roster = (await harness.get(f"/api/v1/sessions/{session['id']}/roster")).json()
    assert roster["entries"][0]["enrollment_id"] == enrollment["id"]
    assert roster["entries"][0]["seconds"] == 30 * 60
    unknown_headers, unknown_body = _analytics("vilt-unknown", harness.bbb.secret, identity)
    assert (await harness.client.post(url, headers=unknown_headers, content=unknown_body)).status_code == 410


# SQLite has a single writer; claiming side by side is a PostgreSQL matter
@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
async def test_two_workers_never_process_the_same_session(harness: Harness) -> None:
    integration = await harness.bbb_integration()
    await _fault(harness, status=500, count=12, path_prefix="/bigbluebutton/api/create")
    sessions = [await _session(harness, integration, title=f"S{i}") for i in range(12)]
    assert all(s["provider"]["state"] == "failed" for s in sessions)
    await _fault(harness, delay_ms=30, count=100, path_prefix="/bigbluebutton/api/create")
    await harness.advance(30)
    first = Worker(harness.runtime.db, harness.runtime.ctx, owner="worker-a", batch=6)
    second = Worker(harness.runtime.db, harness.runtime.ctx, owner="worker-b", batch=6)
    reports = await asyncio.gather(first.run_pass(), second.run_pass(), first.run_pass(), second.run_pass())
    processed = [s.session_id for r in reports for s in r.sessions if "push" in s.actions]
    assert sorted(processed) == sorted(s["id"] for s in sessions)  # each once, none twice
    assert _creates(harness) == 12  # refused calls never reached the API; each session created once
    meetings = (await harness.client.get("/sandbox/bigbluebutton/_sim/meetings")).json()["meetings"]
    assert len(meetings) == 12


async def test_a_worker_killed_mid_pass_leaves_a_lease_that_expires_and_nothing_is_duplicated(
    harness: Harness,
) -> None:
    integration = await harness.bbb_integration()
    await _fault(harness, status=500, count=1, path_prefix="/bigbluebutton/api/create")
    session = await _session(harness, integration)
    await harness.advance(30)
    await _fault(harness, delay_ms=5000, count=1, path_prefix="/bigbluebutton/api/create")
    doomed = Worker(harness.runtime.db, harness.runtime.ctx, owner="doomed")
    task = asyncio.create_task(doomed.run_pass())
    for _ in range(100):  # wait until its push hangs inside the provider call
        await asyncio.sleep(0.02)
        if _creates(harness) == 2:
            break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    survivor = Worker(harness.runtime.db, harness.runtime.ctx, owner="survivor")
    assert (await survivor.run_pass()).claimed == 0  # the lease still holds
    await harness.advance(121)
    report = await survivor.run_pass()
    assert report.claimed == 1
    assert "push" in report.sessions[0].actions
    done = (await harness.get(f"/api/v1/sessions/{session['id']}")).json()
    assert done["provider"]["state"] == "synced"
    meetings = (await harness.client.get("/sandbox/bigbluebutton/_sim/meetings")).json()["meetings"]
    assert len(meetings) == 1
    assert BASE_URL  # the in-process routes were used throughout


async def test_a_secret_changed_on_the_server_marks_the_integration_for_reauthorization(
    harness: Harness,
) -> None:
    integration = await harness.bbb_integration()
    harness.bbb.secret = "rotated-on-the-server-" + "x" * 24
    session = await _session(harness, integration)
    assert session["provider"]["state"] == "failed"
    assert "checksum" in session["provider"]["error"]
    state = (await harness.get(f"/api/v1/integrations/{integration['id']}")).json()["connection"]
    assert state["state"] == "needs_reauth"
    assert "secret" in state["reason"]
    assert harness.bbb.secret not in str(state)
    # the administrator fixes the secret: checked, linked again, and the push goes out at once
    fixed = await harness.patch(
        f"/api/v1/integrations/{integration['id']}", {"settings": {"secret": harness.bbb.secret}}
    )
    assert fixed.json()["connection"]["state"] == "linked"
    await harness.tick()
    assert (await harness.get(f"/api/v1/sessions/{session['id']}")).json()["provider"]["state"] == "synced"


async def test_a_room_empty_for_a_moment_does_not_end_the_session(harness: Harness) -> None:
    integration = await harness.bbb_integration()
    session = await _session(harness, integration)
    meeting = session["provider"]["ref"]
    sim = f"/sandbox/bigbluebutton/_sim/meetings/{meeting}"
    await harness.advance(3600)
    await harness.client.post(f"{sim}/join", json={"name": "Host", "user_id": "h1"})
    await harness.advance(60)
    await harness.tick()
    await harness.client.post(f"{sim}/leave", json={"user_id": "h1"})
    await harness.advance(30)  # BigBlueButton keeps an emptied room for a minute
    await harness.tick()
    assert (await harness.get(f"/api/v1/sessions/{session['id']}")).json()["state"] == "live"
    await harness.client.post(f"{sim}/join", json={"name": "Host", "user_id": "h1"})
    await harness.advance(60)
    await harness.tick()
    assert (await harness.get(f"/api/v1/sessions/{session['id']}")).json()["state"] == "live"
