"""A learner's calendar from "My sessions", over HTTP: each session as an .ics download (only
their own), and a private subscription address that can be replaced and stopped."""

from __future__ import annotations

import re
from datetime import datetime

import icalendar

from tests.api.roster_support import schedule
from tests.web.conftest import Site


async def test_a_learner_downloads_their_session_and_subscribes_to_their_schedule(site: Site) -> None:
    harness = site.harness
    _, session, _ = await schedule(harness)
    _, other, _ = await schedule(harness)
    client, csrf = await site.signed_in("learner", email="lena@example.com")
    lena = (await harness.get("/api/v1/users", params={"email": "lena@example.com"})).json()["items"][0]
    await harness.post(f"/api/v1/sessions/{session['id']}/enrollments", {"user_id": lena["id"]})

    page = await client.get("/my/sessions")
    assert f'href="/my/sessions/{session["id"]}/calendar.ics"' in page.text
    download = await client.get(f"/my/sessions/{session['id']}/calendar.ics")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/calendar")
    event = icalendar.Calendar.from_ical(download.content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == datetime.fromisoformat(session["starts_at"])  # the same instant
    assert (await client.get(f"/my/sessions/{other['id']}/calendar.ics")).status_code == 404  # not hers

    assert "Get a calendar address" in page.text
    made = await client.post("/my/calendar-feed", data={"csrf_token": csrf})
    assert made.status_code == 303
    shown = (await client.get("/my/sessions")).text
    url = re.search(r'id="feed-url" readonly value="([^"]+)"', shown)
    assert url
    feed = await harness.client.get(url.group(1))  # a calendar app: no sign-in, only the address
    assert feed.status_code == 200
    assert len(icalendar.Calendar.from_ical(feed.content).walk("VEVENT")) == 1

    await client.post("/my/calendar-feed", data={"csrf_token": csrf})
    assert (await harness.client.get(url.group(1))).status_code == 404  # replaced: the old one stops
    await client.post("/my/calendar-feed/revoke", data={"csrf_token": csrf})
    assert "Get a calendar address" in (await client.get("/my/sessions")).text
