"""Users, events, sessions and enrollments through the API: validation messages a person can
act on, the waitlist, time zones, paging."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.conftest import T0, Harness


def _fields(response: Any) -> set[str]:
    assert response.status_code == 422, response.text
    return {e["field"] for e in response.json()["errors"]}


async def test_emails_and_aliases_are_unique_and_case_insensitive(harness: Harness) -> None:
    ana = await harness.user("Ana@Example.com", "Ana", aliases=["ana.personal@mail.test"])
    assert ana["aliases"] == ["ana.personal@mail.test"]
    clash = await harness.post("/api/v1/users", {"email": " ANA@example.COM ", "display_name": "Other"})
    assert clash.status_code == 409
    alias_clash = await harness.post(
        "/api/v1/users", {"email": "ana.PERSONAL@mail.test", "display_name": "B"}
    )
    assert alias_clash.status_code == 409
    assert alias_clash.json()["errors"][0]["field"] == "email"
    found = await harness.get("/api/v1/users", params={"email": "Ana.Personal@mail.test"})
    assert [u["id"] for u in found.json()["items"]] == [ana["id"]]


async def test_user_validation_names_every_bad_field(harness: Harness) -> None:
    response = await harness.post(
        "/api/v1/users", {"email": "nope", "display_name": " ", "time_zone": "Mars/Base", "roles": ["boss"]}
    )
    assert _fields(response) == {"email", "display_name", "time_zone", "roles.0"}


async def test_session_validation_messages(harness: Harness) -> None:
    integration = await harness.bbb_integration()
    event = (await harness.post("/api/v1/events", {"title": "E"})).json()
    url = f"/api/v1/events/{event['id']}/sessions"
    too_long = await harness.post(
        url,
        {
            "title": "x" * 256,
            "starts_at": "2026-03-03T10:00:00Z",
            "duration_minutes": 1440,
            "time_zone": "Nowhere/City",
            "capacity": 0,
        },
    )
    assert _fields(too_long) == {"title", "duration_minutes", "time_zone", "capacity"}
    past = await harness.post(
        url,
        {
            "starts_at": (T0 - timedelta(hours=1)).isoformat(),
            "duration_minutes": 30,
            "integration_id": integration["id"],
        },
    )
    assert _fields(past) == {"starts_at"}
    assert "without an integration" in past.json()["errors"][0]["reason"]
    offline = await harness.post(
        url, {"starts_at": (T0 - timedelta(days=1)).isoformat(), "duration_minutes": 30}
    )
    assert offline.status_code == 201
    assert offline.json()["integration_id"] is None
    missing = await harness.post(url, {"title": "No time"})
    assert _fields(missing) == {"starts_at", "duration_minutes"}
    assert _fields(await harness.post("/api/v1/events", {"title": ""})) == {"title"}
    assert _fields(
        await harness.post(
            "/api/v1/events", {"title": "R", "completion_rule": {"kind": "min_percent", "value": 150}}
        )
    ) == {"completion_rule.value"}


async def test_waitlist_is_promoted_in_order_when_a_seat_frees_or_capacity_grows(harness: Harness) -> None:
    event = (await harness.post("/api/v1/events", {"title": "Small room", "capacity": 1})).json()
    session = (
        await harness.post(
            f"/api/v1/events/{event['id']}/sessions",
            {"starts_at": "2026-03-04T10:00:00Z", "duration_minutes": 30},
        )
    ).json()
    people = [await harness.user(f"p{i}@example.com") for i in range(4)]
    enrollments = [
        (await harness.post(f"/api/v1/sessions/{session['id']}/enrollments", {"user_id": p["id"]})).json()
        for p in people
    ]
    assert [e["status"] for e in enrollments] == ["registered", "waitlisted", "waitlisted", "waitlisted"]
    again = await harness.post(f"/api/v1/sessions/{session['id']}/enrollments", {"user_id": people[0]["id"]})
    assert again.json()["id"] == enrollments[0]["id"]  # enrolling twice changes nothing
    canceled = await harness.delete(f"/api/v1/sessions/{session['id']}/enrollments/{enrollments[0]['id']}")
    assert [p["user_id"] for p in canceled.json()["promoted"]] == [people[1]["id"]]
    grown = await harness.patch(f"/api/v1/sessions/{session['id']}", {"capacity": 3})
    assert grown.json()["enrollments"] == {"canceled": 1, "registered": 3}
    listing = await harness.get(
        f"/api/v1/sessions/{session['id']}/enrollments", params={"status": "registered"}
    )
    assert [e["user_id"] for e in listing.json()["items"]] == [p["id"] for p in people[1:]]


async def test_sessions_show_their_local_time_across_daylight_saving(harness: Harness) -> None:
    event = (await harness.post("/api/v1/events", {"title": "DST"})).json()
    winter = (
        await harness.post(
            f"/api/v1/events/{event['id']}/sessions",
            {"starts_at": "2026-03-28T09:00:00Z", "duration_minutes": 60, "time_zone": "Europe/Berlin"},
        )
    ).json()
    summer = (
        await harness.post(
            f"/api/v1/events/{event['id']}/sessions",
            {"starts_at": "2026-03-30T09:00:00Z", "duration_minutes": 60, "time_zone": "Europe/Berlin"},
        )
    ).json()
    assert winter["starts_at_local"] == "2026-03-28T10:00:00+01:00"
    assert summer["starts_at_local"] == "2026-03-30T11:00:00+02:00"


async def test_changing_the_integration_deletes_the_old_meeting_and_creates_a_new_one(
    harness: Harness,
) -> None:
    integration = await harness.bbb_integration()
    event = (await harness.post("/api/v1/events", {"title": "Move"})).json()
    session = (
        await harness.post(
            f"/api/v1/events/{event['id']}/sessions",
            {
                "starts_at": "2026-03-03T10:00:00Z",
                "duration_minutes": 30,
                "integration_id": integration["id"],
            },
        )
    ).json()
    old_ref = session["provider"]["ref"]
    offline = await harness.patch(f"/api/v1/sessions/{session['id']}", {"integration_id": None})
    assert offline.json()["provider"]["ref"] is None
    assert offline.json()["provider"]["pending_deletions"] == 0
    meetings = (await harness.client.get("/sandbox/bigbluebutton/_sim/meetings")).json()["meetings"]
    assert old_ref not in {m["id"] for m in meetings if m["state"] != "ended"}
    back = await harness.patch(f"/api/v1/sessions/{session['id']}", {"integration_id": integration["id"]})
    assert back.json()["provider"]["state"] == "synced"


async def test_cancel_removes_the_meeting_and_refuses_launches(harness: Harness) -> None:
    integration = await harness.bbb_integration()
    learner = await harness.user("l@example.com")
    event = (await harness.post("/api/v1/events", {"title": "Canceled"})).json()
    session = (
        await harness.post(
            f"/api/v1/events/{event['id']}/sessions",
            {
                "starts_at": "2026-03-02T09:10:00Z",
                "duration_minutes": 30,
                "integration_id": integration["id"],
            },
        )
    ).json()
    await harness.post(f"/api/v1/sessions/{session['id']}/enrollments", {"user_id": learner["id"]})
    canceled = await harness.post(f"/api/v1/sessions/{session['id']}/cancel", {"reason": "trainer ill"})
    assert canceled.json()["state"] == "canceled"
    meetings = (await harness.client.get("/sandbox/bigbluebutton/_sim/meetings")).json()["meetings"]
    assert session["provider"]["ref"] not in {m["id"] for m in meetings if m["state"] != "ended"}
    launch = await harness.post(f"/api/v1/sessions/{session['id']}/launch", {"user_id": learner["id"]})
    assert launch.status_code == 409
    assert "canceled" in launch.json()["detail"]


async def test_users_not_enrolled_cannot_launch_and_transcript_shows_the_window(harness: Harness) -> None:
    integration = await harness.bbb_integration()
    learner = await harness.user("t@example.com", time_zone="Asia/Tokyo")
    stranger = await harness.user("s@example.com")
    event = (await harness.post("/api/v1/events", {"title": "Transcript"})).json()
    session = (
        await harness.post(
            f"/api/v1/events/{event['id']}/sessions",
            {
                "starts_at": "2026-03-02T09:10:00Z",
                "duration_minutes": 30,
                "integration_id": integration["id"],
            },
        )
    ).json()
    await harness.post(f"/api/v1/sessions/{session['id']}/enrollments", {"user_id": learner["id"]})
    refused = await harness.post(f"/api/v1/sessions/{session['id']}/launch", {"user_id": stranger["id"]})
    assert refused.status_code == 403
    transcript = (await harness.get(f"/api/v1/users/{learner['id']}/transcript")).json()
    line = transcript["lines"][0]
    assert line["can_launch"] is True  # the window opened at 08:55
    assert line["starts_at_local"] == "2026-03-02T18:10:00+09:00"
    redirect = await harness.get(
        f"/api/v1/sessions/{session['id']}/launch", params={"user_id": learner["id"]}
    )
    assert redirect.status_code == 303
    assert "/bigbluebutton/api/join?" in redirect.headers["location"]


async def test_lists_are_paged(harness: Harness) -> None:
    for i in range(5):
        await harness.user(f"page{i}@example.com")
    first = (await harness.get("/api/v1/users", params={"limit": 2})).json()
    second = (await harness.get("/api/v1/users", params={"limit": 2, "cursor": first["next_cursor"]})).json()
    third = (await harness.get("/api/v1/users", params={"limit": 2, "cursor": second["next_cursor"]})).json()
    emails = [u["email"] for page in (first, second, third) for u in page["items"]]
    assert sorted(emails) == [f"page{i}@example.com" for i in range(5)]  # each once, none lost
    assert third["next_cursor"] is None
    bad = await harness.get("/api/v1/users", params={"cursor": "%%%"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "cursor"
