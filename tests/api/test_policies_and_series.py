"""Integration policies (non-attendees, walk-ins) and results per event: a learner in two
alternative sessions, and a series complete after N of M parts."""

from __future__ import annotations

from datetime import timedelta

from tests.api.roster_support import START, bbb, import_reports, report, roster_by_user, schedule
from tests.conftest import Harness


async def test_default_policies_leave_non_attendees_and_ignore_people_who_were_not_enrolled(
    harness: Harness,
) -> None:
    _, session, (attendee, absentee) = await schedule(harness, learners=2)
    outsider = await harness.user("outsider@example.com", "Out Sider")
    result = await import_reports(
        harness,
        session["id"],
        report("a", (0, 60), email=attendee["email"]),
        report("o", (0, 60), email=outsider["email"]),
        report("x", (0, 60), name="Somebody Else"),
    )
    assert (result.matched, result.unmatched) == (1, 1)
    roster = await roster_by_user(harness, session["id"])
    assert set(roster) == {attendee["id"], absentee["id"]}
    assert roster[absentee["id"]]["completion"] == "not_started"
    records = (await harness.get(f"/api/v1/sessions/{session['id']}/attendance")).json()["records"]
    assert {r["display_name"]: r["outcome"] for r in records} == {
        "a": "enrolled",
        "o": "not_enrolled",
        "Somebody Else": "unmatched",
    }


async def test_mark_non_attendees_failed_and_add_walk_ins_beyond_capacity(harness: Harness) -> None:
    integration = await bbb(harness)
    changed = await harness.patch(
        f"/api/v1/integrations/{integration['id']}",
        {"non_attendee_policy": "failed", "walk_in_policy": "add"},
    )
    assert changed.status_code == 200, changed.text
    _, session, (absentee,) = await schedule(harness, learners=1, capacity=1, integration=integration)
    waiting = await harness.user("waiting@example.com", "Wait Ing")
    queued = await harness.post(f"/api/v1/sessions/{session['id']}/enrollments", {"user_id": waiting["id"]})
    assert queued.json()["status"] == "waitlisted"
    walk_in = await harness.user("walkin@example.com", "Walk In")
    await import_reports(
        harness,
        session["id"],
        report("w", (0, 60), email=walk_in["email"]),
        report("q", (0, 30), email=waiting["email"]),
    )
    roster = await roster_by_user(harness, session["id"])
    assert (roster[absentee["id"]]["attendance"], roster[absentee["id"]]["completion"]) == (
        "absent",
        "failed",
    )
    assert roster[absentee["id"]]["basis"] == "no attendance reported"
    assert roster[walk_in["id"]]["completion"] == "completed"
    assert roster[waiting["id"]]["attendance"] == "attended"  # came anyway: registered as a walk-in
    enrollments = (await harness.get(f"/api/v1/sessions/{session['id']}/enrollments")).json()["items"]
    by_user = {e["user_id"]: e for e in enrollments}
    assert (by_user[walk_in["id"]]["status"], by_user[walk_in["id"]]["walk_in"]) == ("registered", True)
    assert (by_user[waiting["id"]]["status"], by_user[waiting["id"]]["walk_in"]) == ("registered", True)
    assert by_user[absentee["id"]]["walk_in"] is False
    assert (await harness.get(f"/api/v1/sessions/{session['id']}")).json()["enrollments"] == {"registered": 3}
    audit = (await harness.get(f"/api/v1/sessions/{session['id']}/roster/audit")).json()
    assert [a["action"] for a in audit].count("enrollment.walk_in") == 2


async def test_a_learner_in_two_alternative_sessions_completes_the_event_with_either(
    harness: Harness,
) -> None:
    event, first, (learner,) = await schedule(harness, learners=1, rule={"kind": "min_percent", "value": 50})
    _, second, _ = await schedule(harness, event=event, starts_at=START + timedelta(days=1))
    assert (
        await harness.post(f"/api/v1/sessions/{second['id']}/enrollments", {"user_id": learner["id"]})
    ).status_code == 201
    await import_reports(harness, first["id"], report("a", (0, 10), email=learner["email"]))
    results = (await harness.get(f"/api/v1/events/{event['id']}/results")).json()
    (mine,) = results["items"]
    assert (mine["completion"], mine["total_parts"]) == ("in_progress", 2)
    assert [p["completion"] for p in mine["parts"]] == ["failed", "not_started"]

    await harness.advance(24 * 3600)
    await import_reports(
        harness, second["id"], report("a", (0, 50), email=learner["email"], start=START + timedelta(days=1))
    )
    (mine,) = (await harness.get(f"/api/v1/events/{event['id']}/results")).json()["items"]
    assert (mine["completion"], mine["completed_parts"], mine["required_parts"]) == ("completed", 1, 1)
    # each session's roster keeps its own result
    assert (await roster_by_user(harness, first["id"]))[learner["id"]]["completion"] == "failed"
    transcript = (await harness.get(f"/api/v1/users/{learner['id']}/transcript")).json()
    assert [(e["event_id"], e["completion"]) for e in transcript["events"]] == [(event["id"], "completed")]
    assert len(transcript["lines"]) == 2


async def test_a_series_needs_n_of_m_parts_and_one_enrollment_covers_every_part(harness: Harness) -> None:
    event = (
        await harness.post(
            "/api/v1/events",
            {
                "title": "Series",
                "session_mode": "series",
                "series_required_parts": 2,
                "completion_rule": {"kind": "attended"},
            },
        )
    ).json()
    assert event["series_required_parts"] == 2
    parts = [
        (await schedule(harness, event=event, starts_at=START + timedelta(days=day)))[1] for day in range(3)
    ]
    diligent = await harness.user("diligent@example.com", "Dili Gent")
    casual = await harness.user("casual@example.com", "Cas Ual")
    for person in (diligent, casual):
        enrolled = await harness.post(f"/api/v1/events/{event['id']}/enrollments", {"user_id": person["id"]})
        assert enrolled.status_code == 201, enrolled.text
        assert sorted(e["session_id"] for e in enrolled.json()) == sorted(p["id"] for p in parts)
    # a part scheduled later takes in the series' learners
    _, late_part, _ = await schedule(harness, event=event, starts_at=START + timedelta(days=7))
    assert late_part["enrollments"] == {"registered": 2}
    # enrolling in one part of a series enrolls in all of them
    third = await harness.user("third@example.com", "Third Person")
    await harness.post(f"/api/v1/sessions/{parts[1]['id']}/enrollments", {"user_id": third["id"]})
    third_line = (await harness.get(f"/api/v1/users/{third['id']}/transcript")).json()["lines"]
    assert len(third_line) == 4

    await import_reports(
        harness,
        parts[0]["id"],
        report("d", (0, 60), email=diligent["email"]),
        report("c", (0, 5), email=casual["email"]),
    )
    await harness.advance(24 * 3600)
    await import_reports(
        harness,
        parts[1]["id"],
        report("d", (0, 60), email=diligent["email"], start=START + timedelta(days=1)),
    )
    results = {
        r["user_id"]: r for r in (await harness.get(f"/api/v1/events/{event['id']}/results")).json()["items"]
    }
    assert (results[diligent["id"]]["completion"], results[diligent["id"]]["basis"]) == (
        "completed",
        "2 of 4 parts completed; 2 needed",
    )
    assert (results[casual["id"]]["completion"], results[casual["id"]]["completed_parts"]) == (
        "in_progress",
        1,
    )
    assert results[third["id"]]["completion"] == "not_started"

    # canceling one part cancels the learner's open parts of the series
    casual_enrollment = next(
        line["enrollment_id"]
        for line in (await harness.get(f"/api/v1/users/{casual['id']}/transcript")).json()["lines"]
        if line["session_id"] == parts[2]["id"]
    )
    canceled = await harness.delete(f"/api/v1/sessions/{parts[2]['id']}/enrollments/{casual_enrollment}")
    assert canceled.status_code == 200
    statuses = {
        line["session_id"]: line["enrollment_status"]
        for line in (await harness.get(f"/api/v1/users/{casual['id']}/transcript")).json()["lines"]
    }
    assert statuses == {
        parts[0]["id"]: "registered",
        parts[1]["id"]: "registered",
        parts[2]["id"]: "canceled",
        late_part["id"]: "canceled",
    }
    results = {
        r["user_id"]: r for r in (await harness.get(f"/api/v1/events/{event['id']}/results")).json()["items"]
    }
    # part 2 ended without them (non-attendees unchanged) and could still be corrected: not failed yet
    assert results[casual["id"]]["completion"] == "in_progress"

    alternative = (await harness.post("/api/v1/events", {"title": "Alt"})).json()
    refused = await harness.post(f"/api/v1/events/{alternative['id']}/enrollments", {"user_id": casual["id"]})
    assert refused.status_code == 422
