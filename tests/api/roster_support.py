"""Helpers for roster tests: schedule a session with enrolled learners, and import attendance
the way a provider report arrives (through the real import service and database)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from tests.conftest import T0, Harness
from vilt.core.attendance import AttendanceSource, Engagement, Interval, ParticipantReport
from vilt.services import attendance
from vilt.services import sessions as sessions_service
from vilt.services.attendance import ImportResult

START = T0 + timedelta(minutes=10)
"""Sessions in these tests start here and last an hour unless told otherwise."""


def at(minutes: float) -> datetime:
    """``START`` plus ``minutes`` (negative: before the start)."""
    return START + timedelta(minutes=minutes)


def report(
    key: str,
    *spans: tuple[float, float],
    email: str | None = None,
    name: str = "",
    answered: int = 0,
    asked: int = 0,
    start: datetime = START,
) -> ParticipantReport:
    """One participant, present during ``spans`` (minutes from ``start``)."""
    return ParticipantReport(
        participant_key=key,
        display_name=name or key,
        email=email,
        intervals=tuple(
            Interval(start + timedelta(minutes=a), start + timedelta(minutes=b)) for a, b in spans
        ),
        engagement=Engagement(polls_answered=answered, polls_asked=asked),
    )


async def bbb(harness: Harness) -> dict[str, Any]:
    """The harness's BigBlueButton integration (made once)."""
    listed = (await harness.get("/api/v1/integrations")).json()["items"]
    found = [i for i in listed if i["kind"] == "bigbluebutton"]
    return found[0] if found else await harness.bbb_integration()


async def schedule(
    harness: Harness,
    *,
    learners: int = 0,
    rule: dict[str, Any] | None = None,
    session_rule: dict[str, Any] | None = None,
    integration: dict[str, Any] | None = None,
    event: dict[str, Any] | None = None,
    mode: str = "alternative",
    capacity: int | None = None,
    starts_at: datetime = START,
    duration: int = 60,
    prefix: str = "l",
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """(event, session, learners) with ``learners`` enrolled learners."""
    if integration is None:
        integration = await bbb(harness)
    if event is None:
        body: dict[str, Any] = {"title": "Course", "session_mode": mode}
        if rule is not None:
            body["completion_rule"] = rule
        event = (await harness.post("/api/v1/events", body)).json()
    session_body: dict[str, Any] = {
        "starts_at": starts_at.isoformat(),
        "duration_minutes": duration,
        "integration_id": integration["id"],
        "time_zone": "Europe/Berlin",
    }
    if session_rule is not None:
        session_body["completion_rule"] = session_rule
    if capacity is not None:
        session_body["capacity"] = capacity
    created = await harness.post(f"/api/v1/events/{event['id']}/sessions", session_body)
    assert created.status_code == 201, created.text
    session = created.json()
    people = []
    for _ in range(learners):
        tag = uuid.uuid4().hex[:6]
        person = await harness.user(f"{prefix}{tag}@example.com", f"Learner {tag}")
        enrolled = await harness.post(
            f"/api/v1/sessions/{session['id']}/enrollments", {"user_id": person["id"]}
        )
        assert enrolled.status_code == 201, enrolled.text
        people.append(person)
    return event, session, people


async def import_reports(
    harness: Harness,
    session_id: str,
    *reports: ParticipantReport,
    source: AttendanceSource = AttendanceSource.WEBHOOK,
) -> ImportResult:
    async with harness.runtime.db.transaction() as tx:
        session = await sessions_service.get(tx, harness.account_id, uuid.UUID(session_id), for_update=True)
        return await attendance.import_reports(
            harness.runtime.ctx,
            tx,
            session,
            list(reports),
            source,
            raw={"test": [r.participant_key for r in reports]},
        )


async def roster_by_user(harness: Harness, session_id: str) -> dict[str, dict[str, Any]]:
    roster = await harness.get(f"/api/v1/sessions/{session_id}/roster")
    assert roster.status_code == 200, roster.text
    return {e["user_id"]: e for e in roster.json()["entries"]}
