"""A 429 storm: Zoom keeps answering "too many requests" while many sessions wait to be created.
The worker slows down (after a 429 every call to that account waits out Retry-After without
reaching Zoom), and nothing is lost or done twice: every session ends up with exactly one meeting."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.api.provider_setups import sim_meetings, sim_post, zoom_integration, zoom_sim
from tests.conftest import T0, Harness, iso

SESSIONS = 12
RETRY_AFTER = 120


STORM = 3


def api_calls(harness: Harness) -> list[tuple[str, str]]:
    return [c for c in zoom_sim(harness).calls if c[1].startswith("/v2")]


def reached_zoom(harness: Harness) -> int:
    """API calls that reached Zoom: answered ones, plus the ones Zoom refused with a 429."""
    refused = STORM - sum(f.remaining for f in zoom_sim(harness).faults.faults)
    return len(api_calls(harness)) + refused


async def test_a_429_storm_slows_the_worker_down_without_losing_or_duplicating_anything(
    harness: Harness,
) -> None:
    zoom_sim(harness).state.add_user("irene@example.com", "Irene Instructor")
    integration = await zoom_integration(harness)
    instructor = await harness.user("irene@example.com", "Irene", roles=["instructor"])
    event = (await harness.post("/api/v1/events", {"title": "Busy week"})).json()
    # Zoom refuses the next three calls, each time asking for two minutes
    await sim_post(
        harness,
        "zoom",
        "/faults",
        {"status": 429, "count": 3, "retry_after": RETRY_AFTER, "path_prefix": "/v2"},
    )
    checked = reached_zoom(harness)

    sessions: list[dict[str, Any]] = []
    for n in range(SESSIONS):
        created = await harness.post(
            f"/api/v1/events/{event['id']}/sessions",
            {
                "title": f"Part {n + 1}",
                "starts_at": (T0 + timedelta(days=1, hours=n)).isoformat(),
                "duration_minutes": 45,
                "integration_id": integration["id"],
                "instructor_ids": [instructor["id"]],
            },
        )
        assert created.status_code == 201, created.text  # the user's change is kept
        sessions.append(created.json())
    assert {s["provider"]["state"] for s in sessions} == {"failed"}
    assert {s["provider"]["retry_at"] for s in sessions} == {iso(T0 + timedelta(seconds=RETRY_AFTER))}
    assert all("slow down" in s["provider"]["error"] for s in sessions)
    assert reached_zoom(harness) - checked == 1, "one 429, then the other eleven waited without calling Zoom"

    rounds = 0
    while True:
        before = reached_zoom(harness)
        await harness.advance(RETRY_AFTER - 1)
        await harness.tick()
        assert reached_zoom(harness) == before, "nothing goes to Zoom before Retry-After has passed"
        await harness.advance(1)
        await harness.tick()
        rounds += 1
        states = [(await harness.get(f"/api/v1/sessions/{s['id']}")).json()["provider"] for s in sessions]
        if all(p["state"] == "synced" for p in states):
            break
        assert reached_zoom(harness) - before == 1, "a throttled round costs one call, not twelve"
        assert rounds < 5
    assert rounds == 3  # two more 429s, then everything goes through

    refs = [p["ref"] for p in states]
    assert len(set(refs)) == SESSIONS
    meetings = await sim_meetings(harness, "zoom")
    assert sorted(m["id"] for m in meetings) == sorted(refs)  # one meeting per session, none twice
    creates = [c for c in api_calls(harness) if c == ("POST", "/v2/users/irene@example.com/webinars")]
    assert len(creates) == SESSIONS  # the event is a webinar: Zoom webinars (type 5)
