"""Roster editing: manual edits win over syncs, versions can be read and compared, reopen."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.conftest import T0, Harness


async def _ended_session_with_two_learners(harness: Harness) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    integration = await harness.bbb_integration()
    learners = [await harness.user(f"r{i}@example.com", f"R {i}") for i in range(2)]
    event = (
        await harness.post(
            "/api/v1/events", {"title": "Roster", "completion_rule": {"kind": "min_percent", "value": 50}}
        )
    ).json()
    session = (
        await harness.post(
            f"/api/v1/events/{event['id']}/sessions",
            {
                "starts_at": (T0 + timedelta(minutes=10)).isoformat(),
                "duration_minutes": 60,
                "integration_id": integration["id"],
            },
        )
    ).json()
    for learner in learners:
        await harness.post(f"/api/v1/sessions/{session['id']}/enrollments", {"user_id": learner["id"]})
    launched = await harness.post(f"/api/v1/sessions/{session['id']}/launch", {"user_id": learners[0]["id"]})
    await harness.client.get(launched.json()["url"])
    await harness.advance(10 * 60 + 20 * 60)  # present 20 of 60 minutes: below the 50% rule
    await harness.post(f"/api/v1/sessions/{session['id']}/end")
    await harness.tick()
    return session, learners


async def test_rule_manual_edit_versions_and_compare(harness: Harness) -> None:
    session, learners = await _ended_session_with_two_learners(harness)
    roster = (await harness.get(f"/api/v1/sessions/{session['id']}/roster")).json()
    by_user = {e["user_id"]: e for e in roster["entries"]}
    first = by_user[learners[0]["id"]]
    assert (first["attendance"], first["completion"]) == ("attended", "failed")
    assert "33%" in first["basis"]
    assert by_user[learners[1]["id"]]["completion"] == "not_started"

    missing_reason = await harness.patch(
        f"/api/v1/sessions/{session['id']}/roster/{first['enrollment_id']}", {"completion": "completed"}
    )
    assert missing_reason.status_code == 422
    edited = await harness.patch(
        f"/api/v1/sessions/{session['id']}/roster/{first['enrollment_id']}",
        {"completion": "completed", "reason": "joined by phone"},
    )
    entry = next(e for e in edited.json()["entries"] if e["enrollment_id"] == first["enrollment_id"])
    assert (entry["completion"], entry["source"], entry["reason"]) == (
        "completed",
        "manual",
        "joined by phone",
    )

    versions = (await harness.get(f"/api/v1/sessions/{session['id']}/roster/versions")).json()
    assert [v["reason"] for v in versions] == ["sync", "manual"]
    compare = (
        await harness.get(
            f"/api/v1/sessions/{session['id']}/roster/versions/compare", params={"before": 1, "after": 2}
        )
    ).json()
    assert {(c["field"], c["before"], c["after"]) for c in compare["changes"]} == {
        ("completion", "failed", "completed"),
        ("source", "sync", "manual"),
    }
    old = (await harness.get(f"/api/v1/sessions/{session['id']}/roster/versions/1")).json()
    old_entry = next(e for e in old["entries"] if e["enrollment_id"] == first["enrollment_id"])
    assert old_entry["completion"] == "failed"
    assert (await harness.get(f"/api/v1/sessions/{session['id']}/roster/versions/9")).status_code == 404

    await harness.advance(24 * 3600)
    unconfirmed = await harness.post(f"/api/v1/sessions/{session['id']}/roster/update", {})
    assert unconfirmed.status_code == 422
    assert unconfirmed.json()["errors"][0]["field"] == "confirm_overwrite"
    updated = (
        await harness.post(f"/api/v1/sessions/{session['id']}/roster/update", {"confirm_overwrite": True})
    ).json()
    overwritten = next(
        e for e in updated["roster"]["entries"] if e["enrollment_id"] == first["enrollment_id"]
    )
    assert (overwritten["completion"], overwritten["source"]) == ("failed", "update")
    assert "rebuilt from the webhook report" in updated["note"]


async def test_submit_locks_and_an_administrator_can_reopen(harness: Harness) -> None:
    session, _ = await _ended_session_with_two_learners(harness)
    roster = (await harness.get(f"/api/v1/sessions/{session['id']}/roster")).json()
    target = roster["entries"][0]["enrollment_id"]
    assert (await harness.post(f"/api/v1/sessions/{session['id']}/roster/submit")).status_code == 200
    assert (await harness.post(f"/api/v1/sessions/{session['id']}/roster/submit")).status_code == 409
    locked = await harness.patch(
        f"/api/v1/sessions/{session['id']}/roster/{target}", {"completion": "completed", "reason": "x"}
    )
    assert locked.status_code == 409
    assert "reopen" in locked.json()["detail"]
    reopened = await harness.post(f"/api/v1/sessions/{session['id']}/roster/reopen", {"reason": "correction"})
    assert reopened.json()["submitted_at"] is None
    ok = await harness.patch(
        f"/api/v1/sessions/{session['id']}/roster/{target}",
        {"completion": "completed", "reason": "correction"},
    )
    assert ok.status_code == 200


async def test_roster_of_a_session_that_has_not_ended_cannot_be_submitted(harness: Harness) -> None:
    event = (await harness.post("/api/v1/events", {"title": "Open"})).json()
    session = (
        await harness.post(
            f"/api/v1/events/{event['id']}/sessions",
            {"starts_at": (T0 + timedelta(days=1)).isoformat(), "duration_minutes": 30},
        )
    ).json()
    refused = await harness.post(f"/api/v1/sessions/{session['id']}/roster/submit")
    assert refused.status_code == 409
    early = await harness.post(f"/api/v1/sessions/{session['id']}/roster/update", {"confirm_overwrite": True})
    assert early.status_code == 409
