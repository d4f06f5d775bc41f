"""Zoom through the whole service, on SQLite and PostgreSQL: the webhook endpoint (validation,
signature and freshness, meeting.ended ending the session), learners registered ahead of their
launch and their registration canceled with their enrollment, and the per-user daily quota counted
in the database."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import timedelta
from typing import Any

from tests.api.provider_setups import sim_meetings, sim_post, zoom_integration, zoom_sim
from tests.api.test_webhooks import Receiver, SandboxWebhook, attach, endpoint
from tests.conftest import T0, Harness
from vilt.services.provider_state import DatabaseState
from vilt.storage.repositories import integrations as integrations_repo

STARTS = T0 + timedelta(hours=1)


async def zoom_session(
    harness: Harness, *, capacity: int | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    zoom_sim(harness).state.add_user("irene@example.com", "Irene Instructor")
    integration = await zoom_integration(harness)
    instructor = await harness.user("irene@example.com", "Irene Instructor", roles=["instructor"])
    event = (await harness.post("/api/v1/events", {"title": "Zoom class", "kind": "meeting"})).json()
    created = await harness.post(
        f"/api/v1/events/{event['id']}/sessions",
        {
            "starts_at": STARTS.isoformat(),
            "duration_minutes": 60,
            "integration_id": integration["id"],
            "instructor_ids": [instructor["id"]],
            "capacity": capacity,
        },
    )
    assert created.status_code == 201, created.text
    session: dict[str, Any] = created.json()
    return integration, session


def signed_body(secret: str, payload: dict[str, Any], at: float) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    timestamp = str(int(at))
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return body, {
        "content-type": "application/json",
        "x-zm-request-timestamp": timestamp,
        "x-zm-signature": f"v0={digest}",
    }


def ended_payload(meeting_id: str, end_time: str) -> dict[str, Any]:
    return {
        "event": "meeting.ended",
        "event_ts": 0,
        "payload": {
            "account_id": "sim-account-1",
            "object": {"id": meeting_id, "uuid": "u1", "end_time": end_time},
        },
    }


async def test_a_signed_meeting_ended_ends_the_session_and_brings_the_attendance(harness: Harness) -> None:
    integration, session = await zoom_session(harness)
    assert integration["webhook_url"] == f"http://vilt.test/api/v1/webhooks/zoom/{integration['id']}"
    learner = await harness.user("lea@example.com", "Lea Learner")
    await harness.post(f"/api/v1/sessions/{session['id']}/enrollments", {"user_id": learner["id"]})
    await harness.tick()
    # the administrator puts Vilt's URL into the Zoom app: Zoom validates it first
    subscribed = await sim_post(harness, "zoom", "/webhooks", {"url": integration["webhook_url"]})
    assert subscribed["validated"] is True

    await harness.advance(3600 - 60)
    host = (
        await harness.post(
            f"/api/v1/sessions/{session['id']}/launch", {"user_id": session["instructor_ids"][0]}
        )
    ).json()
    assert (await harness.client.get(host["url"])).status_code == 200
    mine = (await harness.post(f"/api/v1/sessions/{session['id']}/launch", {"user_id": learner["id"]})).json()
    await harness.advance(60)
    assert (await harness.client.get(mine["url"])).status_code == 200
    await harness.advance(45 * 60)
    await sim_post(harness, "zoom", f"/meetings/{session['provider']['ref']}/end")  # the host ends it in Zoom

    calls = len(zoom_sim(harness).calls)
    await harness.runtime.drain_simulators()  # Zoom sends meeting.ended to Vilt
    [sent] = [c for c in zoom_sim(harness).outbox.sent if c.kind == "meeting.ended"]
    assert sent.status == 200
    assert len(zoom_sim(harness).calls) == calls, "the webhook is answered without calling Zoom"
    await harness.tick()
    ended = (await harness.get(f"/api/v1/sessions/{session['id']}")).json()
    assert ended["state"] == "ended"
    assert ended["ended_by"] == "provider"
    assert ended["attendance"]["state"] == "received"
    roster = (await harness.get(f"/api/v1/sessions/{session['id']}/roster")).json()
    [entry] = roster["entries"]
    assert (entry["user_id"], entry["attendance"], entry["seconds"]) == (learner["id"], "attended", 45 * 60)
    records = (await harness.get(f"/api/v1/sessions/{session['id']}/attendance")).json()["records"]
    lea = next(r for r in records if r["email"] == "lea@example.com")
    assert lea["match"] == "identity"  # by the registrant id Zoom reports for her join


async def test_a_bad_signature_or_a_stale_timestamp_is_refused_and_changes_nothing(harness: Harness) -> None:
    integration, session = await zoom_session(harness)
    secret = zoom_sim(harness).webhook_secret
    url = f"/api/v1/webhooks/zoom/{integration['id']}"
    payload = ended_payload(session["provider"]["ref"], "2026-03-02T10:50:00Z")
    await harness.advance(3600 + 50 * 60)
    now = harness.clock.now().timestamp()
    for body, headers in (
        signed_body("not-the-secret", payload, now),
        signed_body(secret, payload, now - 6 * 60),  # replayed six minutes later
    ):
        refused = await harness.client.post(url, content=body, headers=headers)
        assert refused.status_code == 401
        assert refused.json()["error"]
    await harness.tick()
    assert (await harness.get(f"/api/v1/sessions/{session['id']}")).json()["state"] == "scheduled"
    body, headers = signed_body(secret, payload, now)
    assert (await harness.client.post(url, content=body, headers=headers)).status_code == 200
    await harness.tick()
    assert (await harness.get(f"/api/v1/sessions/{session['id']}")).json()["state"] == "ended"


async def test_an_end_before_the_start_is_a_rehearsal_and_the_session_stays(harness: Harness) -> None:
    integration, session = await zoom_session(harness)
    secret = zoom_sim(harness).webhook_secret
    body, headers = signed_body(
        secret,
        ended_payload(session["provider"]["ref"], "2026-03-02T09:05:00Z"),
        harness.clock.now().timestamp(),
    )
    answer = await harness.client.post(
        f"/api/v1/webhooks/zoom/{integration['id']}", content=body, headers=headers
    )
    assert answer.status_code == 200
    await harness.tick()
    assert (await harness.get(f"/api/v1/sessions/{session['id']}")).json()["state"] == "scheduled"


async def test_unknown_meetings_are_acknowledged_so_zoom_stops_retrying(harness: Harness) -> None:
    integration, _ = await zoom_session(harness)
    body, headers = signed_body(
        zoom_sim(harness).webhook_secret,
        ended_payload("999", "2026-03-02T10:00:00Z"),
        harness.clock.now().timestamp(),
    )
    answer = await harness.client.post(
        f"/api/v1/webhooks/zoom/{integration['id']}", content=body, headers=headers
    )
    assert answer.status_code == 200
    assert answer.json()["status"] == "ignored"


async def test_learners_are_registered_ahead_and_a_failed_registration_is_retried_with_its_reason(
    harness: Harness,
) -> None:
    _, session = await zoom_session(harness, capacity=1)
    first = await harness.user("first@example.com", "First Learner")
    second = await harness.user("second@example.com", "Second Learner")
    enrolled = [
        (await harness.post(f"/api/v1/sessions/{session['id']}/enrollments", {"user_id": u["id"]})).json()
        for u in (first, second)
    ]
    await harness.tick()
    listed = (await harness.get(f"/api/v1/sessions/{session['id']}/enrollments")).json()["items"]
    assert [(e["status"], e["has_personal_url"]) for e in listed] == [
        ("registered", True),
        ("waitlisted", False),
    ]

    await sim_post(
        harness,
        "zoom",
        "/faults",
        {
            "status": 503,
            "count": 1,
            "path_prefix": f"/v2/meetings/{session['provider']['ref']}/batch_registrants",
        },
    )
    canceled = await harness.delete(f"/api/v1/sessions/{session['id']}/enrollments/{enrolled[0]['id']}")
    assert [p["user_id"] for p in canceled.json()["promoted"]] == [second["id"]]
    await harness.tick()
    failing = (await harness.get(f"/api/v1/sessions/{session['id']}")).json()["provider"]
    assert "HTTP 503" in failing["error"]
    assert failing["retry_at"] is not None

    await harness.advance(50 * 60)  # the window is open, the registration still waits for its retry
    not_yet = await harness.post(f"/api/v1/sessions/{session['id']}/launch", {"user_id": second["id"]})
    assert not_yet.status_code == 409
    assert "not ready yet" in not_yet.json()["detail"]
    await harness.tick()  # the back-off is long over: registered
    calls = len(zoom_sim(harness).calls)
    launched = await harness.post(f"/api/v1/sessions/{session['id']}/launch", {"user_id": second["id"]})
    assert launched.status_code == 200
    assert "/w/" in launched.json()["url"]
    assert len(zoom_sim(harness).calls) == calls
    meeting = next(m for m in await sim_meetings(harness, "zoom") if m["id"] == session["provider"]["ref"])
    assert meeting["registrants"] == 2  # first was registered before they canceled


def registrants_of(harness: Harness, session: dict[str, Any]) -> dict[str, tuple[str, str, str]]:
    """email → (registrant id, status, join URL) of the session's meeting, as the simulator holds it;
    a canceled registration is kept under its email unless a newer one replaced it."""
    sim = zoom_sim(harness)
    meeting = sim.state.meetings[int(session["provider"]["ref"])]
    found: dict[str, tuple[str, str, str]] = {}
    for r in meeting.registrants.values():
        if r.email not in found or r.status != "canceled":
            found[r.email] = (r.id, r.status, sim.join_url(meeting, r.join_token))
    return found


async def test_canceling_an_enrollment_cancels_the_zoom_registrant_and_a_failure_is_retried(
    harness: Harness,
) -> None:
    _, session = await zoom_session(harness)
    first = await harness.user("first@example.com", "First Learner")
    second = await harness.user("second@example.com", "Second Learner")
    enrolled = [
        (await harness.post(f"/api/v1/sessions/{session['id']}/enrollments", {"user_id": u["id"]})).json()
        for u in (first, second)
    ]
    await harness.tick()
    before = registrants_of(harness, session)
    assert {email: status for email, (_, status, _) in before.items()} == {
        "first@example.com": "approved",
        "second@example.com": "approved",
    }
    old_id, _, old_url = before["first@example.com"]

    status_path = f"/v2/meetings/{session['provider']['ref']}/registrants/status"
    await sim_post(harness, "zoom", "/faults", {"status": 503, "count": 1, "path_prefix": status_path})
    canceled = await harness.delete(f"/api/v1/sessions/{session['id']}/enrollments/{enrolled[0]['id']}")
    assert canceled.status_code == 200
    assert canceled.json()["enrollment"]["has_personal_url"] is False
    await harness.tick()
    failing = (await harness.get(f"/api/v1/sessions/{session['id']}")).json()["provider"]
    assert "HTTP 503" in failing["error"]
    assert failing["retry_at"] is not None
    assert registrants_of(harness, session)["first@example.com"][1] == "approved"  # not yet, not lost

    await harness.advance(5 * 60)  # past the back-off
    await harness.tick()
    after = registrants_of(harness, session)
    assert after["first@example.com"] == (old_id, "canceled", old_url)
    assert after["second@example.com"][1] == "approved"
    # the injected 503 never reached the API: one call canceled it, and no later pass calls again
    assert zoom_sim(harness).calls.count(("PUT", status_path)) == 1
    synced = (await harness.get(f"/api/v1/sessions/{session['id']}")).json()["provider"]
    assert synced["error"] is None
    refused = await harness.client.get(old_url)
    assert refused.status_code == 403
    await harness.tick()
    assert zoom_sim(harness).calls.count(("PUT", status_path)) == 1

    again = await harness.post(f"/api/v1/sessions/{session['id']}/enrollments", {"user_id": first["id"]})
    assert again.json()["status"] == "registered"
    await harness.tick()
    new_id, new_status, new_url = registrants_of(harness, session)["first@example.com"]
    assert new_status == "approved"
    assert (new_id, new_url) != (old_id, old_url)
    await harness.advance(50 * 60)  # the launch window is open
    launched = await harness.post(f"/api/v1/sessions/{session['id']}/launch", {"user_id": first["id"]})
    assert launched.status_code == 200, launched.text
    assert launched.json()["url"] == new_url
    assert (await harness.client.get(new_url)).status_code == 200
    assert (await harness.client.get(old_url)).status_code == 403


async def test_the_daily_quota_is_counted_once_for_every_worker_in_the_database(harness: Harness) -> None:
    integration, _ = await zoom_session(harness)
    integration_id = uuid.UUID(integration["id"])
    async with harness.runtime.db.reading() as tx:
        row = await integrations_repo.by_id(tx, integration_id)
    assert row is not None
    # two worker processes, each with its own adapter, count against the same row (on another
    # day than the session's own create, which counted one)
    workers = [
        DatabaseState(
            harness.runtime.db, harness.runtime.ctx.secrets, harness.clock, integration_id, row.revision
        )
        for _ in range(2)
    ]
    taken = [
        await workers[n % 2].take_quota("meeting_writes", "irene@example.com", "2026-03-05", 100)
        for n in range(100)
    ]
    assert taken == list(range(1, 101))
    assert await workers[0].take_quota("meeting_writes", "irene@example.com", "2026-03-05", 100) is None
    await workers[1].release_quota("meeting_writes", "irene@example.com", "2026-03-05")
    assert await workers[0].take_quota("meeting_writes", "irene@example.com", "2026-03-05", 100) == 100
    assert await workers[0].take_quota("meeting_writes", "other@example.com", "2026-03-05", 100) == 1


async def test_a_session_over_the_instructors_daily_quota_waits_until_midnight_and_says_why(
    harness: Harness,
) -> None:
    integration, session = await zoom_session(harness)
    async with harness.runtime.db.reading() as tx:
        row = await integrations_repo.by_id(tx, uuid.UUID(integration["id"]))
    assert row is not None
    state = DatabaseState(
        harness.runtime.db, harness.runtime.ctx.secrets, harness.clock, row.id, row.revision
    )
    while await state.take_quota("meeting_writes", "irene@example.com", "2026-03-02", 100) is not None:
        pass
    changed = await harness.patch(f"/api/v1/sessions/{session['id']}", {"title": "Renamed once more"})
    provider = changed.json()["provider"]
    assert provider["state"] == "failed"
    assert "100 meeting creates and updates per user per day" in provider["error"]
    assert provider["retry_at"] == "2026-03-03T00:00:00Z"


async def test_a_new_personal_join_url_is_sent_to_the_lms_as_an_enrollment_update(harness: Harness) -> None:
    receiver = Receiver()
    attach(harness, receiver)
    hook = await endpoint(harness, event_types=["enrollment.updated"])
    receiver.verifiers["main"] = SandboxWebhook(hook["secret"], harness.clock)
    _, session = await zoom_session(harness)
    learner = await harness.user("first@example.com", "First Learner")
    await harness.post(f"/api/v1/sessions/{session['id']}/enrollments", {"user_id": learner["id"]})
    await harness.tick()  # registers the learner
    await harness.tick()  # delivers what the registration owed
    changes = [(m["data"]["change"], m["data"]["join_url"]) for m in receiver.accepted]
    assert changes[0] == ("created", None)  # Zoom has no personal link before the registration
    assert [c for c, _ in changes[1:]] == ["join_url"]
    assert "/w/" in str(changes[1][1])
    assert changes[1][1] != session["provider"].get("join_url")


async def test_a_new_instructor_hosts_a_new_meeting_and_learners_get_new_links(harness: Harness) -> None:
    _, session = await zoom_session(harness)
    zoom_sim(harness).state.add_user("oscar@example.com", "Oscar Other")
    oscar = await harness.user("oscar@example.com", "Oscar Other", roles=["instructor"])
    learner = await harness.user("first@example.com", "First Learner")
    await harness.post(f"/api/v1/sessions/{session['id']}/enrollments", {"user_id": learner["id"]})
    await harness.tick()
    old_ref = session["provider"]["ref"]
    await harness.advance(50 * 60)
    launch = f"/api/v1/sessions/{session['id']}/launch"
    before = (await harness.post(launch, {"user_id": learner["id"]})).json()

    changed = await harness.patch(f"/api/v1/sessions/{session['id']}", {"instructor_ids": [oscar["id"]]})
    assert changed.status_code == 200, changed.text
    await harness.tick()  # the meeting moves to Oscar's account
    await harness.tick()  # the learner is registered with the new meeting
    moved = (await harness.get(f"/api/v1/sessions/{session['id']}")).json()["provider"]
    assert moved["ref"] != old_ref
    meetings = {m["id"]: m for m in await sim_meetings(harness, "zoom")}
    assert old_ref not in meetings  # Zoom cannot hand a meeting over: the old one is deleted
    assert meetings[moved["ref"]]["host"] == "oscar@example.com"
    assert meetings[moved["ref"]]["registrants"] == 1
    after = (await harness.post(launch, {"user_id": learner["id"]})).json()
    assert after["url"] != before["url"]
    host = (await harness.post(launch, {"user_id": oscar["id"]})).json()
    assert host["role"] == "host"
    assert moved["ref"] in host["url"]

    # the same instructors again change nothing on Zoom
    calls = len(zoom_sim(harness).calls)
    await harness.patch(f"/api/v1/sessions/{session['id']}", {"instructor_ids": [oscar["id"]]})
    await harness.tick()
    assert len(zoom_sim(harness).calls) == calls
