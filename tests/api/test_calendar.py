"""Calendars through the API, parsed back with icalendar: a session's .ics with SEQUENCE and
METHOD:CANCEL, and a learner's feed at a secret URL that works without an API key."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar

from tests.api.roster_support import schedule
from tests.conftest import Harness

BERLIN = ZoneInfo("Europe/Berlin")


async def test_a_session_calendar_carries_its_sequence_and_its_cancellation(harness: Harness) -> None:
    starts = datetime(2026, 3, 29, 8, 0, tzinfo=UTC)  # 10:00 in Berlin, the first day of summer time
    _, session, _ = await schedule(harness, starts_at=starts)
    path = f"/api/v1/sessions/{session['id']}/calendar.ics"
    assert (await harness.client.get(path)).status_code == 401
    response = await harness.get(path)
    assert response.headers["content-type"].startswith("text/calendar")
    parsed = Calendar.from_ical(response.content)
    event = parsed.walk("VEVENT")[0]
    assert (parsed["METHOD"], event["SEQUENCE"], event["STATUS"]) == ("PUBLISH", 0, "CONFIRMED")
    assert event.decoded("dtstart") == starts
    assert event.decoded("dtstart").astimezone(BERLIN).hour == 10
    assert event["UID"] == f"{session['id']}@vilt"
    assert parsed.walk("VTIMEZONE")[0]["TZID"] == "Europe/Berlin"

    async def sequence() -> int:
        found = Calendar.from_ical((await harness.get(path)).content).walk("VEVENT")[0]
        return int(found.decoded("sequence"))

    await harness.patch(f"/api/v1/sessions/{session['id']}", {"title": "Renamed"})
    assert await sequence() == 1
    await harness.patch(f"/api/v1/sessions/{session['id']}", {"capacity": 30})
    assert await sequence() == 1  # nothing a calendar shows changed
    await harness.patch(f"/api/v1/sessions/{session['id']}", {"starts_at": "2026-03-29T09:00:00Z"})
    assert await sequence() == 2
    await harness.post(f"/api/v1/sessions/{session['id']}/cancel", {"reason": "trainer ill"})
    canceled = Calendar.from_ical((await harness.get(path)).content)
    event = canceled.walk("VEVENT")[0]
    assert (canceled["METHOD"], event["STATUS"], event["SEQUENCE"]) == ("CANCEL", "CANCELLED", 3)
    assert event["SUMMARY"] == "Renamed"


async def test_a_learner_schedule_is_a_feed_at_a_secret_url(harness: Harness) -> None:
    teacher = await harness.user("teacher@example.com", "Tea Cher", roles=["instructor"])
    before_dst = datetime(2026, 3, 26, 9, 0, tzinfo=UTC)  # 10:00 CET
    after_dst = datetime(2026, 3, 31, 8, 0, tzinfo=UTC)  # 10:00 CEST
    event, first, (learner,) = await schedule(harness, learners=1, starts_at=before_dst, capacity=1)
    _, second, _ = await schedule(harness, event=event, starts_at=after_dst, capacity=1)
    _, third, _ = await schedule(harness, event=event, starts_at=datetime(2026, 4, 2, 8, 0, tzinfo=UTC))
    occupant = await harness.user("occupant@example.com", "Occu Pant")
    await harness.post(f"/api/v1/sessions/{second['id']}/enrollments", {"user_id": occupant["id"]})
    assert (
        await harness.post(f"/api/v1/sessions/{second['id']}/enrollments", {"user_id": learner["id"]})
    ).json()["status"] == "waitlisted"
    await harness.post(f"/api/v1/sessions/{third['id']}/enrollments", {"user_id": learner["id"]})
    await harness.post(f"/api/v1/sessions/{third['id']}/cancel")
    await harness.patch(f"/api/v1/sessions/{first['id']}", {"instructor_ids": [teacher["id"]]})

    created = await harness.post(f"/api/v1/users/{learner['id']}/calendar-feed")
    assert created.status_code == 201
    url = created.json()["url"]
    assert url.startswith("http://vilt.test/api/v1/calendar/")
    assert url.endswith(".ics")
    assert (await harness.get(f"/api/v1/users/{learner['id']}/calendar-feed")).json()["url"] == url
    feed = await harness.client.get(url)  # no API key: calendar apps cannot send one
    assert feed.status_code == 200, feed.text
    parsed = Calendar.from_ical(feed.content)
    events = {str(e["UID"]): e for e in parsed.walk("VEVENT")}
    assert set(events) == {f"{s['id']}@vilt" for s in (first, second, third)}
    local = [events[f"{s['id']}@vilt"].decoded("dtstart").astimezone(BERLIN) for s in (first, second)]
    assert [t.hour for t in local] == [10, 10]
    assert [events[f"{s['id']}@vilt"].decoded("dtstart") for s in (first, second)] == [before_dst, after_dst]
    assert [events[f"{s['id']}@vilt"]["STATUS"] for s in (first, second, third)] == [
        "CONFIRMED",
        "TENTATIVE",
        "CANCELLED",
    ]
    assert parsed["X-WR-CALNAME"] == f"{learner['display_name']}: sessions"

    teacher_feed = (await harness.post(f"/api/v1/users/{teacher['id']}/calendar-feed")).json()["url"]
    taught = Calendar.from_ical((await harness.client.get(teacher_feed)).content)
    assert [e["UID"] for e in taught.walk("VEVENT")] == [f"{first['id']}@vilt"]

    renewed = (await harness.post(f"/api/v1/users/{learner['id']}/calendar-feed")).json()["url"]
    assert renewed != url
    assert (await harness.client.get(url)).status_code == 404
    assert (await harness.client.get(renewed)).status_code == 200
    assert (await harness.delete(f"/api/v1/users/{learner['id']}/calendar-feed")).status_code == 204
    assert (await harness.client.get(renewed)).status_code == 404
    assert (await harness.get(f"/api/v1/users/{learner['id']}/calendar-feed")).status_code == 404
