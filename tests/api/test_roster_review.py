"""The order of who wins on a roster (syncs < hand edits < Update roster), the 24-hour guard to
the second, submit and an audited reopen, the audit trail, and reviewing unmatched attendance."""

from __future__ import annotations

from datetime import timedelta

from tests.api.roster_support import START, import_reports, report, roster_by_user, schedule
from tests.conftest import T0, Harness, iso


async def test_hand_edits_win_over_syncs_until_update_roster_overwrites_them(harness: Harness) -> None:
    _, session, (edited, other) = await schedule(
        harness, learners=2, rule={"kind": "min_percent", "value": 50}
    )
    sid = session["id"]
    await import_reports(harness, sid, report("e", (0, 20), email=edited["email"]))
    ended_at = T0  # the final report ended the session on arrival
    roster = await roster_by_user(harness, sid)
    enrollment = roster[edited["id"]]["enrollment_id"]
    assert roster[edited["id"]]["completion"] == "failed"

    edit = await harness.patch(
        f"/api/v1/sessions/{sid}/roster/{enrollment}",
        {"completion": "completed", "reason": "joined by phone"},
    )
    assert edit.status_code == 200
    await harness.advance(600)
    await import_reports(
        harness, sid, report("e", (0, 25), email=edited["email"]), report("o", (0, 60), email=other["email"])
    )
    roster = await roster_by_user(harness, sid)
    assert (roster[edited["id"]]["completion"], roster[edited["id"]]["source"]) == ("completed", "manual")
    assert (roster[other["id"]]["completion"], roster[other["id"]]["source"]) == ("completed", "sync")

    allowed_at = ended_at + timedelta(hours=24)
    await harness.advance((allowed_at - harness.clock.now()).total_seconds() - 1)
    early = await harness.post(f"/api/v1/sessions/{sid}/roster/update", {"confirm_overwrite": True})
    assert early.status_code == 409
    assert early.json()["allowed_at"] == iso(allowed_at)
    assert "2026-03-03 09:00 UTC" in early.json()["detail"]
    await harness.advance(1)
    unconfirmed = await harness.post(f"/api/v1/sessions/{sid}/roster/update", {})
    assert unconfirmed.status_code == 422
    updated = await harness.post(f"/api/v1/sessions/{sid}/roster/update", {"confirm_overwrite": True})
    assert updated.status_code == 200, updated.text
    after = {e["user_id"]: e for e in updated.json()["roster"]["entries"]}
    assert (after[edited["id"]]["completion"], after[edited["id"]]["source"]) == ("failed", "update")
    assert after[edited["id"]]["seconds"] == 25 * 60

    versions = (await harness.get(f"/api/v1/sessions/{sid}/roster/versions")).json()
    assert [v["reason"] for v in versions] == ["sync", "manual", "sync", "update"]
    manual, update = versions[1]["number"], versions[3]["number"]
    compare = (
        await harness.get(
            f"/api/v1/sessions/{sid}/roster/versions/compare", params={"before": manual, "after": update}
        )
    ).json()
    mine = {(c["field"], c["before"], c["after"]) for c in compare["changes"] if c["user_id"] == edited["id"]}
    assert mine == {
        ("completion", "completed", "failed"),
        ("source", "manual", "update"),
        ("seconds", 1200, 1500),
    }
    kept = (await harness.get(f"/api/v1/sessions/{sid}/roster/versions/{manual}")).json()
    assert {e["user_id"]: e["completion"] for e in kept["entries"]}[edited["id"]] == "completed"

    # after the overwrite a new hand edit wins again over the next sync
    await harness.patch(
        f"/api/v1/sessions/{sid}/roster/{enrollment}", {"completion": "completed", "reason": "again"}
    )
    await harness.advance(60)
    await import_reports(harness, sid, report("e", (0, 26), email=edited["email"]))
    assert (await roster_by_user(harness, sid))[edited["id"]]["source"] == "manual"

    audit = (await harness.get(f"/api/v1/sessions/{sid}/roster/audit")).json()
    edits = [a for a in audit if a["action"] == "roster.edited"]
    assert [e["reason"] for e in edits] == ["joined by phone", "again"]
    assert edits[0]["before"]["completion"] == "failed"
    assert edits[0]["after"]["completion"] == "completed"
    assert edits[0]["actor"] == "apikey:tests"
    assert edits[0]["at"] == iso(T0)
    assert any(a["action"] == "roster.overwritten" for a in audit)


async def test_bad_hand_edits_are_refused_with_the_field(harness: Harness) -> None:
    _, session, (learner,) = await schedule(harness, learners=1)
    sid = session["id"]
    enrollment = (await roster_by_user(harness, sid))[learner["id"]]["enrollment_id"]
    blank = await harness.patch(
        f"/api/v1/sessions/{sid}/roster/{enrollment}", {"completion": "completed", "reason": "  "}
    )
    assert blank.status_code == 422
    assert blank.json()["errors"][0]["field"] == "reason"
    nothing = await harness.patch(f"/api/v1/sessions/{sid}/roster/{enrollment}", {"reason": "why"})
    assert nothing.status_code == 422
    negative = await harness.patch(
        f"/api/v1/sessions/{sid}/roster/{enrollment}", {"seconds": -1, "reason": "x"}
    )
    assert negative.status_code == 422
    unknown = await harness.patch(
        f"/api/v1/sessions/{sid}/roster/00000000-0000-0000-0000-000000000000",
        {"completion": "failed", "reason": "x"},
    )
    assert unknown.status_code == 404


async def test_submit_locks_syncs_wait_and_an_audited_reopen_applies_them(harness: Harness) -> None:
    _, session, (learner, late) = await schedule(harness, learners=2)
    sid = session["id"]
    await import_reports(harness, sid, report("l", (0, 60), email=learner["email"]))
    submitted = await harness.post(f"/api/v1/sessions/{sid}/roster/submit")
    assert submitted.status_code == 200
    await harness.advance(300)
    await import_reports(
        harness, sid, report("l", (0, 60), email=learner["email"]), report("t", (30, 60), email=late["email"])
    )
    assert (await roster_by_user(harness, sid))[late["id"]]["completion"] == "not_started"
    no_reason = await harness.post(f"/api/v1/sessions/{sid}/roster/reopen", {"reason": ""})
    assert no_reason.status_code == 422
    reopened = await harness.post(f"/api/v1/sessions/{sid}/roster/reopen", {"reason": "late report"})
    assert reopened.status_code == 200
    assert {e["user_id"]: e["completion"] for e in reopened.json()["entries"]}[late["id"]] == "completed"
    assert (
        await harness.post(f"/api/v1/sessions/{sid}/roster/reopen", {"reason": "again"})
    ).status_code == 409
    audit = (await harness.get(f"/api/v1/sessions/{sid}/roster/audit")).json()
    actions = [a["action"] for a in audit]
    assert actions.index("roster.submitted") < actions.index("roster.reopened")
    reopen = next(a for a in audit if a["action"] == "roster.reopened")
    assert (reopen["reason"], reopen["actor"]) == ("late report", "apikey:tests")
    assert reopen["before"]["submitted_by"] == "apikey:tests"


async def test_unmatched_records_are_reviewed_bound_and_remembered(harness: Harness) -> None:
    _, session, (known,) = await schedule(harness, learners=1)
    sid = session["id"]
    boris = await harness.user("boris@example.com", "Boris Petrov")
    await harness.post(f"/api/v1/sessions/{sid}/enrollments", {"user_id": boris["id"]})
    namesake = await harness.user("boris.p@example.com", "Boris  PETROV")
    outsider = await harness.user("outsider@example.com", "Out Sider")
    await import_reports(
        harness,
        sid,
        report("k", (0, 60), email=known["email"]),
        report("phone-7", (0, 40), name="Petrov Boris"),
        report("home", (40, 60), name="B. P.", email="Boris.Home@Mail.example"),
    )
    unmatched = (await harness.get(f"/api/v1/sessions/{sid}/attendance/unmatched")).json()["items"]
    assert [u["display_name"] for u in unmatched] == ["B. P.", "Petrov Boris"]
    phone = unmatched[1]
    assert {s["user_id"] for s in phone["suggestions"]} == {boris["id"], namesake["id"]}
    assert (await roster_by_user(harness, sid))[boris["id"]]["completion"] == "not_started"

    matched = next(
        r
        for r in (await harness.get(f"/api/v1/sessions/{sid}/attendance")).json()["records"]
        if r["participant_key"] == "k"
    )
    refused = await harness.post(
        f"/api/v1/sessions/{sid}/attendance/records/{matched['id']}/bind", {"user_id": boris["id"]}
    )
    assert refused.status_code == 409

    bound = await harness.post(
        f"/api/v1/sessions/{sid}/attendance/records/{phone['id']}/bind", {"user_id": boris["id"]}
    )
    assert bound.status_code == 200, bound.text
    assert (bound.json()["alias_added"], bound.json()["roster_version"]) == (None, 2)
    entry = (await roster_by_user(harness, sid))[boris["id"]]
    assert (entry["attendance"], entry["seconds"]) == ("attended", 40 * 60)

    home = unmatched[0]
    bound = (
        await harness.post(
            f"/api/v1/sessions/{sid}/attendance/records/{home['id']}/bind", {"user_id": boris["id"]}
        )
    ).json()
    assert bound["alias_added"] == "boris.home@mail.example"
    assert (await roster_by_user(harness, sid))[boris["id"]]["seconds"] == 60 * 60
    assert "boris.home@mail.example" in (await harness.get(f"/api/v1/users/{boris['id']}")).json()["aliases"]
    assert (await harness.get(f"/api/v1/sessions/{sid}/attendance/unmatched")).json()["items"] == []
    records = (await harness.get(f"/api/v1/sessions/{sid}/attendance")).json()["records"]
    assert {r["participant_key"]: r["match"] for r in records} == {
        "k": "email",
        "phone-7": "manual",
        "home": "manual",
    }

    # a later report of the same session: the participant without an email keeps its binding
    await harness.advance(600)
    await import_reports(
        harness, sid, report("k", (0, 60), email=known["email"]), report("phone-7", (0, 30), name="?")
    )
    assert (await roster_by_user(harness, sid))[boris["id"]]["seconds"] == 30 * 60
    # another session: the alias now matches by email, with no review
    _, other, _ = await schedule(harness, starts_at=START + timedelta(days=2))
    await harness.post(f"/api/v1/sessions/{other['id']}/enrollments", {"user_id": boris["id"]})
    await import_reports(
        harness,
        other["id"],
        report("h", (0, 60), email="boris.home@mail.example", start=START + timedelta(days=2)),
    )
    assert (await roster_by_user(harness, other["id"]))[boris["id"]]["attendance"] == "attended"

    # binding someone who is not enrolled changes no roster (walk-ins ignored by default)
    await harness.advance(60)
    await import_reports(
        harness, other["id"], report("z", (0, 60), name="Out Sider", start=START + timedelta(days=2))
    )
    stranger = (await harness.get(f"/api/v1/sessions/{other['id']}/attendance/unmatched")).json()["items"][0]
    result = (
        await harness.post(
            f"/api/v1/sessions/{other['id']}/attendance/records/{stranger['id']}/bind",
            {"user_id": outsider["id"]},
        )
    ).json()
    assert result["enrollment_id"] is None
    assert "not enrolled" in result["note"]
    audit = (await harness.get(f"/api/v1/sessions/{sid}/roster/audit")).json()
    bindings = [a for a in audit if a["action"] == "attendance.bound"]
    assert [b["after"]["alias"] for b in bindings] == [None, "boris.home@mail.example"]

    await harness.post(f"/api/v1/sessions/{sid}/roster/submit")
    locked = await harness.post(
        f"/api/v1/sessions/{sid}/attendance/records/{phone['id']}/bind", {"user_id": namesake["id"]}
    )
    assert locked.status_code == 409


async def test_waitlist_promotes_in_order_and_the_roster_follows(harness: Harness) -> None:
    event, session, people = await schedule(harness, learners=5, capacity=2)
    sid = session["id"]
    enrollments = (await harness.get(f"/api/v1/sessions/{sid}/enrollments")).json()["items"]
    assert [e["status"] for e in enrollments] == ["registered"] * 2 + ["waitlisted"] * 3
    assert set(await roster_by_user(harness, sid)) == {people[0]["id"], people[1]["id"]}

    canceled = (await harness.delete(f"/api/v1/sessions/{sid}/enrollments/{enrollments[0]['id']}")).json()
    assert [p["user_id"] for p in canceled["promoted"]] == [people[2]["id"]]
    assert set(await roster_by_user(harness, sid)) == {people[1]["id"], people[2]["id"]}

    raised = await harness.patch(f"/api/v1/sessions/{sid}", {"capacity": 3})
    assert raised.json()["enrollments"] == {"canceled": 1, "registered": 3, "waitlisted": 1}
    statuses = {
        e["user_id"]: e["status"]
        for e in (await harness.get(f"/api/v1/sessions/{sid}/enrollments")).json()["items"]
    }
    assert (statuses[people[3]["id"]], statuses[people[4]["id"]]) == ("registered", "waitlisted")

    # a session without its own capacity follows its event's: raising the event's frees seats
    _, shared, _ = await schedule(harness, event=event, starts_at=START + timedelta(days=1))
    await harness.patch(f"/api/v1/events/{event['id']}", {"capacity": 1})
    queue = [await harness.user(f"q{i}@example.com", f"Q {i}") for i in range(3)]
    for person in queue:
        await harness.post(f"/api/v1/sessions/{shared['id']}/enrollments", {"user_id": person["id"]})
    await harness.patch(f"/api/v1/events/{event['id']}", {"capacity": 2})
    statuses = {
        e["user_id"]: e["status"]
        for e in (await harness.get(f"/api/v1/sessions/{shared['id']}/enrollments")).json()["items"]
    }
    assert [statuses[p["id"]] for p in queue] == ["registered", "registered", "waitlisted"]

    # after attendance: a learner canceled later leaves the roster in a new version
    await import_reports(harness, sid, report("a", (0, 60), email=people[1]["email"]))
    registered = {
        e["user_id"]: e for e in (await harness.get(f"/api/v1/sessions/{sid}/enrollments")).json()["items"]
    }
    await harness.delete(f"/api/v1/sessions/{sid}/enrollments/{registered[people[1]['id']]['id']}")
    assert people[1]["id"] not in await roster_by_user(harness, sid)
    await harness.advance(60)
    await import_reports(
        harness,
        sid,
        report("a", (0, 60), email=people[1]["email"]),
        report("b", (0, 5), email=people[2]["email"]),
    )
    versions = (await harness.get(f"/api/v1/sessions/{sid}/roster/versions")).json()
    compare = (
        await harness.get(
            f"/api/v1/sessions/{sid}/roster/versions/compare",
            params={"before": versions[-2]["number"], "after": versions[-1]["number"]},
        )
    ).json()
    left = {c["field"]: c["after"] for c in compare["changes"] if c["user_id"] == people[1]["id"]}
    assert left == {"attendance": None, "completion": None, "seconds": None, "source": None}
