"""Ten thousand participants: Zoom's participants report read across its pages (300 rows each, one
row per join segment) and imported into the roster, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from tests.api.provider_setups import zoom_integration, zoom_sim
from tests.conftest import T0, Harness
from tests.jobs.bulk import seed_enrolled_learners
from vilt.storage.repositories import attendance as attendance_repo

PARTICIPANTS = 10_000
STARTS = T0 + timedelta(hours=1)


def report_rows(emails: list[str]) -> list[tuple[str, str, str, datetime, datetime]]:
    rows = []
    for n, email in enumerate(emails):
        # even learners came through their registrant URL, odd ones some other way (email only)
        registrant = f"reg{n}" if n % 2 == 0 else ""
        rows.append((f"Learner {n}", email, registrant, STARTS, STARTS + timedelta(minutes=25)))
        if n % 2 == 0:  # and half reconnected once
            rows.append(
                (
                    f"Learner {n}",
                    email,
                    registrant,
                    STARTS + timedelta(minutes=24),
                    STARTS + timedelta(minutes=55),
                )
            )
    return rows


async def test_a_10000_participant_report_is_imported_across_pages(harness: Harness) -> None:
    sim = zoom_sim(harness)
    sim.state.add_user("irene@example.com", "Irene")
    integration = await zoom_integration(harness)
    instructor = await harness.user("irene@example.com", "Irene", roles=["instructor"])
    event = (await harness.post("/api/v1/events", {"title": "All hands", "kind": "meeting"})).json()
    session = (
        await harness.post(
            f"/api/v1/events/{event['id']}/sessions",
            {
                "starts_at": STARTS.isoformat(),
                "duration_minutes": 60,
                "integration_id": integration["id"],
                "instructor_ids": [instructor["id"]],
            },
        )
    ).json()
    emails = await seed_enrolled_learners(
        harness.runtime.db, harness.account_id, uuid.UUID(session["id"]), PARTICIPANTS, T0, registered=True
    )
    rows = report_rows(emails)
    sim.record_past_instance(session["provider"]["ref"], STARTS, STARTS + timedelta(hours=1), rows)
    await harness.advance(2 * 3600)

    ended = (await harness.post(f"/api/v1/sessions/{session['id']}/end")).json()
    assert ended["attendance"]["state"] == "received"
    pages = [c for c in sim.calls if "/report/" in c[1]]
    assert len(pages) == -(-len(rows) // 300) == 50
    async with harness.runtime.db.reading() as tx:
        imported = await attendance_repo.latest_import(tx, uuid.UUID(session["id"]))
        assert imported is not None
        records = await attendance_repo.records(tx, imported.id)
    assert imported.record_count == len(records) == PARTICIPANTS
    assert {r.match_method for r in records} == {"identity", "email"}  # registrant id, else email
    assert all(r.enrollment_id is not None for r in records)
    roster = (await harness.get(f"/api/v1/sessions/{session['id']}/roster")).json()
    entries = roster["entries"]
    assert len(entries) == PARTICIPANTS
    assert {e["attendance"] for e in entries} == {"attended"}
    seconds = sorted({e["seconds"] for e in entries})
    assert seconds == [25 * 60, 55 * 60]  # reconnects merged, never counted twice
