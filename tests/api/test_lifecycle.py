"""The whole session lifecycle through the REST API, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from tests.conftest import T0, Harness, iso


async def test_bigbluebutton_session_from_scheduling_to_submitted_roster(harness: Harness) -> None:
    integration = await harness.bbb_integration()
    check = await harness.post(f"/api/v1/integrations/{integration['id']}/check")
    assert check.json()["ok"] is True
    assert check.json()["integration"]["connection"]["state"] == "linked"

    instructor = await harness.user("irene@example.com", "Irene Instructor", roles=["instructor"])
    learners = [await harness.user(f"learner{i}@example.com", f"Learner {i}") for i in range(3)]
    event = (await harness.post("/api/v1/events", {"title": "Onboarding", "kind": "meeting"})).json()
    starts_at = T0 + timedelta(hours=1)
    created = await harness.post(
        f"/api/v1/events/{event['id']}/sessions",
        {
            "starts_at": starts_at.isoformat(),
            "time_zone": "Europe/Berlin",
            "duration_minutes": 60,
            "integration_id": integration["id"],
            "capacity": 2,
            "instructor_ids": [instructor["id"]],
        },
    )
    assert created.status_code == 201, created.text
    session = created.json()
    assert session["provider"]["state"] == "synced"
    meeting_id = session["provider"]["ref"]
    assert meeting_id in {
        m["id"] for m in (await harness.client.get("/sandbox/bigbluebutton/_sim/meetings")).json()["meetings"]
    }
    assert session["starts_at_local"].startswith("2026-03-02T11:00:00+01:00")

    statuses = []
    for learner in learners:
        response = await harness.post(
            f"/api/v1/sessions/{session['id']}/enrollments", {"user_id": learner["id"]}
        )
        assert response.status_code == 201
        statuses.append(response.json()["status"])
    assert statuses == ["registered", "registered", "waitlisted"]

    early = await harness.post(f"/api/v1/sessions/{session['id']}/launch", {"user_id": learners[0]["id"]})
    assert early.status_code == 409
    assert early.headers["content-type"].startswith("application/problem+json")
    assert early.json()["opens_at"] == iso(starts_at - timedelta(minutes=15))
    waitlisted = await harness.post(
        f"/api/v1/sessions/{session['id']}/launch", {"user_id": learners[2]["id"]}
    )
    assert waitlisted.status_code == 403

    await harness.advance(50 * 60)  # 10 minutes before the start: the learners' window is open
    launched = await harness.post(f"/api/v1/sessions/{session['id']}/launch", {"user_id": learners[0]["id"]})
    assert launched.status_code == 200, launched.text
    assert launched.json()["role"] == "participant"
    url = launched.json()["url"]
    query = parse_qs(urlsplit(url).query)
    assert query["role"] == ["VIEWER"]
    assert query["meetingID"] == [meeting_id]
    # the simulator accepts the join (checksum, createTime) and puts the learner in the room
    entered = await harness.client.get(url, follow_redirects=True)
    assert entered.status_code == 200
    assert "Learner 0" in entered.text
    host = await harness.post(f"/api/v1/sessions/{session['id']}/launch", {"user_id": instructor["id"]})
    assert parse_qs(urlsplit(host.json()["url"]).query)["role"] == ["MODERATOR"]

    await harness.advance(10 * 60)
    sim = f"/sandbox/bigbluebutton/_sim/meetings/{meeting_id}"
    second = await harness.post(f"/api/v1/sessions/{session['id']}/launch", {"user_id": learners[1]["id"]})
    second_identity = parse_qs(urlsplit(second.json()["url"]).query)["userID"][0]
    joined = await harness.client.post(f"{sim}/join", json={"name": "Learner 1", "user_id": second_identity})
    assert joined.status_code == 200
    await harness.advance(20 * 60)
    await harness.client.post(f"{sim}/leave", json={"user_id": query["userID"][0]})
    await harness.advance(20 * 60)

    ended = await harness.post(f"/api/v1/sessions/{session['id']}/end")
    assert ended.json()["state"] == "ended"
    await harness.tick()
    roster = (await harness.get(f"/api/v1/sessions/{session['id']}/roster")).json()
    by_user = {e["user_id"]: e for e in roster["entries"]}
    assert by_user[learners[0]["id"]]["attendance"] == "attended"
    assert by_user[learners[1]["id"]]["attendance"] == "attended"
    assert by_user[learners[0]["id"]]["seconds"] == 20 * 60
    assert learners[2]["id"] not in by_user  # still waitlisted
    version = roster["version"]

    too_early = await harness.post(
        f"/api/v1/sessions/{session['id']}/roster/update", {"confirm_overwrite": True}
    )
    assert too_early.status_code == 409
    allowed_at = too_early.json()["allowed_at"]
    assert allowed_at == iso(T0 + timedelta(hours=1, minutes=40) + timedelta(hours=24))

    await harness.advance(24 * 3600)
    updated = await harness.post(
        f"/api/v1/sessions/{session['id']}/roster/update", {"confirm_overwrite": True}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == version + 1

    submitted = await harness.post(f"/api/v1/sessions/{session['id']}/roster/submit")
    assert submitted.status_code == 200
    assert submitted.json()["submitted_at"] is not None
    locked = await harness.patch(
        f"/api/v1/sessions/{session['id']}/roster/{by_user[learners[1]['id']]['enrollment_id']}",
        {"completion": "failed", "reason": "late"},
    )
    assert locked.status_code == 409
