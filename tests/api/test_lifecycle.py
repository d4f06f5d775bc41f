"""The whole session lifecycle through the REST API, for every provider on its simulator, on
SQLite and on PostgreSQL: link and check the integration, schedule, enroll (capacity and the
waitlist), launch in the window (learner and instructor URLs), attend, end, attendance into the
roster, Update roster after 24 hours, submit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.provider_setups import SCENARIOS, Scenario, sim_meetings, sim_post
from tests.conftest import T0, Harness, iso


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.kind for s in SCENARIOS])
async def test_session_from_scheduling_to_submitted_roster(harness: Harness, scenario: Scenario) -> None:
    kind = scenario.kind
    integration = await scenario.integration(harness, "irene@example.com")
    check = await harness.post(f"/api/v1/integrations/{integration['id']}/check")
    assert check.json()["ok"] is True, check.text
    assert check.json()["integration"]["connection"]["state"] == "linked"
    assert check.json()["integration"]["connection"]["account_label"]

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
    assert session["provider"]["state"] == "synced", session["provider"]
    meeting_id = session["provider"]["ref"]
    assert meeting_id in {m["id"] for m in await sim_meetings(harness, kind)}
    assert session["starts_at_local"].startswith("2026-03-02T11:00:00+01:00")

    statuses = []
    for learner in learners:
        response = await harness.post(
            f"/api/v1/sessions/{session['id']}/enrollments", {"user_id": learner["id"]}
        )
        assert response.status_code == 201
        statuses.append(response.json()["status"])
    assert statuses == ["registered", "registered", "waitlisted"]
    await harness.tick()  # registrant providers (Zoom) register the learners ahead of their launch

    early = await harness.post(f"/api/v1/sessions/{session['id']}/launch", {"user_id": learners[0]["id"]})
    assert early.status_code == 409
    assert early.headers["content-type"].startswith("application/problem+json")
    assert early.json()["opens_at"] == iso(starts_at - timedelta(minutes=15))
    waitlisted = await harness.post(
        f"/api/v1/sessions/{session['id']}/launch", {"user_id": learners[2]["id"]}
    )
    assert waitlisted.status_code == 403

    await harness.advance(50 * 60)  # 10 minutes before the start: the learners' window is open
    calls = len(harness.runtime.simulators[kind].calls)
    launched = await harness.post(f"/api/v1/sessions/{session['id']}/launch", {"user_id": learners[0]["id"]})
    assert launched.status_code == 200, launched.text
    assert launched.json()["role"] == "participant"
    assert len(harness.runtime.simulators[kind].calls) == calls, "a learner's launch never calls the provider"
    url = launched.json()["url"]
    scenario.check_learner_url(url, meeting_id)
    host = await harness.post(f"/api/v1/sessions/{session['id']}/launch", {"user_id": instructor["id"]})
    assert host.json()["role"] == "host"
    scenario.check_host_url(host.json()["url"], url, meeting_id)
    await scenario.enter(harness, meeting_id, host.json()["url"], "Irene Instructor", "irene@example.com")
    await scenario.enter(harness, meeting_id, url, "Learner 0", "learner0@example.com")

    await harness.advance(10 * 60)
    second = await harness.post(f"/api/v1/sessions/{session['id']}/launch", {"user_id": learners[1]["id"]})
    await scenario.enter(harness, meeting_id, second.json()["url"], "Learner 1", "learner1@example.com")
    await harness.advance(20 * 60)
    await sim_post(harness, kind, f"/meetings/{meeting_id}/leave", scenario.who(url, "learner0@example.com"))
    await harness.advance(20 * 60)

    ended = await harness.post(f"/api/v1/sessions/{session['id']}/end")
    assert ended.json()["state"] == "ended"
    await scenario.after_end(harness, meeting_id)
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
