"""Names and Role Provisioning and Assignment and Grade Services against the LMS: the course
roster is imported page by page, learners without emails are matched by their ``sub`` through
their own join, and the submitted roster arrives in the gradebook, retried when the LMS is down."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from tests.api.roster_support import import_reports, report
from tests.conftest import BASE_URL, T0
from tests.lti.conftest import Lms
from tests.lti.flows import CUSTOM, deep_link_new_event
from tests.lti.platform import INSTRUCTOR, ISSUER, LEARNER, LaunchSpec, parse_form

LINEITEM = f"{ISSUER}/ags/lineitems/li-7?type_id=3"
MEMBERS = [
    {"user_id": "s1", "roles": [LEARNER], "name": "Ann Archer"},
    {"user_id": "s2", "roles": [LEARNER]},
    {"user_id": "s3", "roles": [LEARNER], "name": "Gone Student", "status": "Inactive"},
    {"user_id": "teacher-1", "roles": [INSTRUCTOR], "name": "Tina Teacher", "email": "tina@school.test"},
    {"user_id": "s4", "roles": ["Learner"], "name": "Dan Dixon", "email": "dan@school.test"},
]


async def linked_course(lms: Lms) -> tuple[str, dict[str, str]]:
    answer = await deep_link_new_event(lms)
    custom = {CUSTOM: answer["items"][0]["custom"]}
    teacher = LaunchSpec(
        "teacher-1",
        [INSTRUCTOR],
        name="Tina Teacher",
        email="tina@school.test",
        lineitem=LINEITEM,
        extra=custom,
    )
    page = await lms.browser.launch(teacher)
    assert page.status_code == 200, page.text
    lms.browser.client.cookies.clear()
    return urlsplit(str(page.url)).path.rsplit("/", 1)[1], custom


async def test_roster_import_grades_and_attendance_matched_by_sub(lms: Lms) -> None:
    harness = lms.harness
    link_id, custom = await linked_course(lms)
    lms.platform.members = MEMBERS
    imported = await harness.post(f"/api/v1/lti/links/{link_id}/members/import")
    assert imported.status_code == 200, imported.text
    report = imported.json()
    assert (report["members"], report["pages"], report["inactive"], report["enrolled"]) == (5, 3, 1, 3)
    users = (await harness.get("/api/v1/users", params={"limit": 50})).json()["items"]
    assert len(users) == 4  # the teacher was known already; the inactive student is not created
    session_id = report["sessions"][0]

    # Ann launches later; the platform still withholds her email: she is the imported user
    ann = LaunchSpec("s1", [LEARNER], name="Ann Archer", lineitem=LINEITEM, extra=custom)
    page = await lms.browser.launch(ann)
    assert "registered" in page.text
    assert len((await harness.get("/api/v1/users", params={"limit": 50})).json()["items"]) == 4

    await harness.tick()
    await harness.advance(50 * 60)
    page = await lms.browser.client.get(str(page.url))
    join = re.search(r'href="(/lti/sessions/[^"]+/join)"', page.text)
    assert join is not None, page.text
    entered = await lms.browser.client.get(BASE_URL + join.group(1), follow_redirects=True)
    assert "Ann Archer" in entered.text  # in the (simulated) BigBlueButton room
    await harness.advance(40 * 60)
    assert (await harness.post(f"/api/v1/sessions/{session_id}/end")).status_code == 200
    await harness.tick()
    roster = (await harness.get(f"/api/v1/sessions/{session_id}/roster")).json()
    records = (await harness.get(f"/api/v1/sessions/{session_id}/attendance")).json()
    (record,) = records["records"]
    assert (record["display_name"], record["email"], record["match"]) == ("Ann Archer", None, "identity")
    completed = [e["user_id"] for e in roster["entries"] if e["completion"] == "completed"]
    assert completed == [record["user_id"]]  # Ann, who has no email, by the identity bound at her join
    assert (await harness.get("/api/v1/deliveries", params={"kind": "lti_score"})).json()["items"] == []

    lms.platform.fail_scores = 1  # the gradebook is down for the first score
    assert (await harness.post(f"/api/v1/sessions/{session_id}/roster/submit")).status_code == 200
    owed = (await harness.get("/api/v1/deliveries", params={"kind": "lti_score"})).json()["items"]
    assert len(owed) == 3
    await harness.tick()
    pending = (
        await harness.get("/api/v1/deliveries", params={"kind": "lti_score", "status": "pending"})
    ).json()
    assert [d["last_error"] for d in pending["items"]] == ["The platform answered HTTP 503."]
    await harness.advance(130)
    await harness.tick()
    delivered = (
        await harness.get("/api/v1/deliveries", params={"kind": "lti_score", "status": "delivered"})
    ).json()
    assert len(delivered["items"]) == 3

    scores = {s["userId"]: s for s in lms.platform.scores["li-7"]}
    assert set(scores) == {"s1", "s2", "s4"}
    assert (scores["s1"]["scoreGiven"], scores["s1"]["scoreMaximum"]) == (10, 10)
    assert scores["s1"]["activityProgress"] == "Completed"
    assert scores["s1"]["gradingProgress"] == "FullyGraded"
    assert scores["s2"]["scoreGiven"] == 0
    assert scores["s2"]["gradingProgress"] == "FullyGraded"
    assert scores["s1"]["timestamp"].endswith("Z")
    assert {r["content-type"] for r in lms.platform.score_requests} == {
        "application/vnd.ims.lis.v1.score+json"
    }
    assert {r["query"] for r in lms.platform.score_requests} == {"type_id=3"}  # /scores went into the path
    score_tokens = [t for t in lms.platform.token_requests if "lti-ags/scope/score" in t["scope"]]
    assert len(score_tokens) == 1  # one token, cached for the scope set
    nrps_tokens = [t for t in lms.platform.token_requests if "contextmembership" in t["scope"]]
    assert len(nrps_tokens) == 1


async def test_every_roster_change_is_graded_when_the_link_asks_for_it(lms: Lms) -> None:
    harness = lms.harness
    event = (await harness.post("/api/v1/events", {"title": "Recorded workshop"})).json()
    session = (
        await harness.post(
            f"/api/v1/events/{event['id']}/sessions",
            {"starts_at": (T0 + timedelta(days=1)).isoformat(), "duration_minutes": 60},
        )
    ).json()
    custom = {CUSTOM: {"vilt_event_id": event["id"]}}
    teacher = LaunchSpec("teacher-1", [INSTRUCTOR], name="Tina", lineitem=LINEITEM, extra=custom)
    link_page = await lms.browser.launch(teacher)
    link_id = urlsplit(str(link_page.url)).path.rsplit("/", 1)[1]
    changed = await harness.patch(
        f"/api/v1/lti/links/{link_id}", {"grade_sync": "every_change", "score_maximum": 4}
    )
    assert changed.json()["grade_sync"] == "every_change"
    lms.browser.client.cookies.clear()
    learner_page = await lms.browser.launch(
        LaunchSpec("s9", [LEARNER], name="Nia", lineitem=LINEITEM, extra=custom)
    )
    assert "registered" in learner_page.text, learner_page.text
    roster = (await harness.get(f"/api/v1/sessions/{session['id']}/roster")).json()
    (entry,) = roster["entries"]  # auto-enrolled: the event's only session
    edited = await harness.patch(
        f"/api/v1/sessions/{session['id']}/roster/{entry['enrollment_id']}",
        {"completion": "completed", "attendance": "attended", "reason": "watched the recording"},
    )
    assert edited.status_code == 200, edited.text
    await harness.tick()
    (score,) = lms.platform.scores["li-7"]
    assert (score["userId"], score["scoreGiven"], score["scoreMaximum"]) == ("s9", 4, 4)


async def test_the_instructors_import_button_reports_the_numbers_and_a_crafted_link_says_nothing(
    lms: Lms,
) -> None:
    answer = await deep_link_new_event(lms)
    lms.platform.members = MEMBERS
    teacher = LaunchSpec(
        "teacher-1",
        [INSTRUCTOR],
        name="Tina Teacher",
        email="tina@school.test",
        extra={CUSTOM: answer["items"][0]["custom"]},
    )
    page = await lms.browser.launch(teacher)
    path = urlsplit(str(page.url)).path
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    pressed = await lms.browser.client.post(
        f"{BASE_URL}{path}/import-members", data={"csrf_token": token.group(1)}
    )
    assert pressed.status_code == 303
    shown = await lms.browser.client.get(f"{BASE_URL}{pressed.headers['location']}")
    assert "Imported 5 members: 3 enrolled, 0 waitlisted." in shown.text

    for crafted in ("?message=Imported+a+virus%2C+call+555", "?imported=lots.of.members", "?imported=1.2"):
        forged = await lms.browser.client.get(f"{BASE_URL}{path}{crafted}")
        assert forged.status_code == 200
        assert 'id="message"' not in forged.text


async def test_a_series_is_graded_as_a_whole_not_part_by_part(lms: Lms) -> None:
    harness = lms.harness
    bbb = await harness.bbb_integration()
    event = (
        await harness.post("/api/v1/events", {"title": "Two-part course", "session_mode": "series"})
    ).json()
    starts = [T0 + timedelta(hours=1), T0 + timedelta(hours=26)]
    parts = [
        (
            await harness.post(
                f"/api/v1/events/{event['id']}/sessions",
                {"starts_at": at.isoformat(), "duration_minutes": 60, "integration_id": bbb["id"]},
            )
        ).json()
        for at in starts
    ]
    picker = await lms.browser.launch(LaunchSpec("teacher-1", [INSTRUCTOR], name="Tina", deep_linking=True))
    action, form = parse_form((await lms.browser.post_form(picker, {"event_id": event["id"]})).text)
    await lms.browser.client.post(action, data=form)
    custom = {CUSTOM: lms.platform.deep_link_answers[-1]["items"][0]["custom"]}
    for spec in (
        LaunchSpec("teacher-1", [INSTRUCTOR], name="Tina", lineitem=LINEITEM, extra=custom),
        LaunchSpec(
            "s1", [LEARNER], name="Ann Archer", email="ann@school.test", lineitem=LINEITEM, extra=custom
        ),
    ):
        lms.browser.client.cookies.clear()
        assert (await lms.browser.launch(spec)).status_code == 200

    async def attend_and_submit(part: dict[str, Any], at: datetime) -> dict[str, Any]:
        await import_reports(harness, part["id"], report("ann", (0, 60), email="ann@school.test", start=at))
        assert (await harness.post(f"/api/v1/sessions/{part['id']}/roster/submit")).status_code == 200
        await harness.tick()
        score: dict[str, Any] = lms.platform.scores["li-7"][-1]
        return score

    await harness.advance((starts[0] + timedelta(hours=2) - harness.clock.now()).total_seconds())
    first = await attend_and_submit(parts[0], starts[0])
    # one part of two: the series is not decided, so the gradebook is told it is in progress
    assert (first["userId"], first["scoreGiven"]) == ("s1", 0)
    assert (first["activityProgress"], first["gradingProgress"]) == ("InProgress", "Pending")
    assert "1 of 2 parts completed" in first["comment"]

    await harness.advance((starts[1] + timedelta(hours=2) - harness.clock.now()).total_seconds())
    second = await attend_and_submit(parts[1], starts[1])
    assert (second["scoreGiven"], second["scoreMaximum"]) == (100, 100)
    assert (second["activityProgress"], second["gradingProgress"]) == ("Completed", "FullyGraded")
    assert "2 of 2 parts completed" in second["comment"]
