"""Every completion rule with its edges, through a real import and the roster API: presence is
clipped to the scheduled window, reconnects count once, polls are re-evaluated at each sync, a
session overrides its event's rule, and the poll rule is refused where polls are not reported."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.roster_support import import_reports, report, roster_by_user, schedule
from tests.conftest import Harness
from vilt.providers import registry
from vilt.providers.base import Capability
from vilt.providers.bigbluebutton.adapter import INFO, BigBlueButtonAdapter


async def test_min_percent_counts_only_the_scheduled_window_and_merges_reconnects(harness: Harness) -> None:
    _, session, people = await schedule(harness, learners=7, rule={"kind": "min_percent", "value": 75})
    early_late, reconnect, short, after, before, _absent, exact = people
    await import_reports(
        harness,
        session["id"],
        report("a", (-10, 70), email=early_late["email"]),  # joins before, leaves after: 100%
        report("b1", (0, 30), email=reconnect["email"]),  # two connections of one person,
        report("b2", (20, 45), email=reconnect["email"].upper()),  # overlapping: 45 min, not 55
        report("c", (-5, 44), email=short["email"]),  # 44 of 60 minutes: 73%
        report("d", (50, 90), email=after["email"]),  # 10 minutes inside the window
        report("e", (-30, -5), email=before["email"]),  # gone before the start
        report("g", (0, 45), email=exact["email"]),  # exactly 75%
    )
    roster = await roster_by_user(harness, session["id"])

    def result(person: dict[str, Any]) -> tuple[str, str, int]:
        entry = roster[person["id"]]
        return entry["attendance"], entry["completion"], entry["seconds"]

    assert result(early_late) == ("attended", "completed", 3600)
    assert result(reconnect) == ("attended", "completed", 45 * 60)
    assert result(short) == ("attended", "failed", 44 * 60)
    assert roster[short["id"]]["basis"] == "present 73% of the scheduled time; 75% needed"
    assert result(after) == ("attended", "failed", 600)
    assert result(before) == ("attended", "failed", 0)
    assert result(exact) == ("attended", "completed", 45 * 60)
    # no record and the default policy: left as it was
    assert result(_absent) == ("unknown", "not_started", 0)
    attendance = (await harness.get(f"/api/v1/sessions/{session['id']}/attendance")).json()
    assert {r["match"] for r in attendance["records"]} == {"email"}


async def test_min_minutes_attended_and_a_session_overriding_its_event(harness: Harness) -> None:
    event, session, (just_short, enough) = await schedule(
        harness, learners=2, rule={"kind": "min_minutes", "value": 30}
    )
    await import_reports(
        harness,
        session["id"],
        report("a", (-10, 29.5), email=just_short["email"]),
        report("b", (30, 75), email=enough["email"]),
    )
    roster = await roster_by_user(harness, session["id"])
    assert (roster[just_short["id"]]["completion"], roster[just_short["id"]]["seconds"]) == ("failed", 1770)
    assert roster[just_short["id"]]["basis"] == "present 29 min in the scheduled time; 30 min needed"
    assert roster[enough["id"]]["completion"] == "completed"

    _, other, (brief,) = await schedule(
        harness, learners=1, event=event, session_rule={"kind": "attended"}, prefix="o"
    )
    assert other["completion_rule"] == {"kind": "attended", "value": None}
    await import_reports(harness, other["id"], report("x", (5, 6), email=brief["email"]))
    entry = (await roster_by_user(harness, other["id"]))[brief["id"]]
    assert (entry["attendance"], entry["completion"]) == ("attended", "completed")
    assert entry["basis"] == "attended (1 min in the scheduled time)"


async def test_all_polls_answered_is_in_progress_until_a_later_sync_shows_every_answer(
    harness: Harness,
) -> None:
    _, session, (learner, silent) = await schedule(harness, learners=2, rule={"kind": "all_polls_answered"})
    await import_reports(
        harness,
        session["id"],
        report("a", (0, 60), email=learner["email"], answered=1, asked=3),
        report("b", (0, 60), email=silent["email"], answered=0, asked=3),
    )
    first = await roster_by_user(harness, session["id"])
    assert (first[learner["id"]]["completion"], first[learner["id"]]["basis"]) == (
        "in_progress",
        "answered 1 of 3 poll questions",
    )
    assert first[silent["id"]]["completion"] == "in_progress"
    await harness.advance(300)  # the next sync
    await import_reports(
        harness,
        session["id"],
        report("a", (0, 60), email=learner["email"], answered=3, asked=3),
        report("b", (0, 60), email=silent["email"], answered=0, asked=3),
    )
    second = await roster_by_user(harness, session["id"])
    assert second[learner["id"]]["completion"] == "completed"
    assert second[silent["id"]]["completion"] == "in_progress"
    versions = (await harness.get(f"/api/v1/sessions/{session['id']}/roster/versions")).json()
    assert [(v["reason"], v["changed_entries"]) for v in versions] == [("sync", 2), ("sync", 1)]


@pytest.fixture
def provider_without_polls(monkeypatch: pytest.MonkeyPatch) -> str:
    """A provider kind that declares no poll reports (BigBlueButton's adapter, one flag less), as
    Zoom meetings or Teams are."""
    kind = "bigbluebutton_no_polls"
    info = INFO.__class__(
        kind=kind,
        title="Classroom without polls",
        capabilities=INFO.capabilities - {Capability.POLLS},
        settings_model=INFO.settings_model,
        concurrency=INFO.concurrency,
        unsupported={**INFO.unsupported, "polls": "This provider does not report poll answers."},
    )
    monkeypatch.setitem(registry.ADAPTERS, kind, (info, BigBlueButtonAdapter))
    return kind


async def test_the_poll_rule_is_refused_for_a_provider_without_polls(
    harness: Harness, provider_without_polls: str
) -> None:
    no_polls = await harness.bbb_integration(kind=provider_without_polls, name="No polls")
    with_polls = await harness.bbb_integration(name="Polls")
    polls_event = (
        await harness.post(
            "/api/v1/events", {"title": "Polls", "completion_rule": {"kind": "all_polls_answered"}}
        )
    ).json()
    body = {"starts_at": "2026-03-03T10:00:00Z", "duration_minutes": 30, "integration_id": no_polls["id"]}
    refused = await harness.post(f"/api/v1/events/{polls_event['id']}/sessions", body)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "integration_id"
    assert "does not report poll answers" in refused.json()["errors"][0]["reason"]

    plain = (await harness.post("/api/v1/events", {"title": "Plain"})).json()
    override = await harness.post(
        f"/api/v1/events/{plain['id']}/sessions", {**body, "completion_rule": {"kind": "all_polls_answered"}}
    )
    assert override.status_code == 422
    assert override.json()["errors"][0]["field"] == "completion_rule"
    session = (await harness.post(f"/api/v1/events/{plain['id']}/sessions", body)).json()
    event_change = await harness.patch(
        f"/api/v1/events/{plain['id']}", {"completion_rule": {"kind": "all_polls_answered"}}
    )
    assert event_change.status_code == 422
    assert "Classroom without polls" in event_change.json()["errors"][0]["reason"]

    on_polls = (
        await harness.post(
            f"/api/v1/events/{polls_event['id']}/sessions", {**body, "integration_id": with_polls["id"]}
        )
    ).json()
    moved = await harness.patch(f"/api/v1/sessions/{on_polls['id']}", {"integration_id": no_polls["id"]})
    assert moved.status_code == 422
    assert moved.json()["errors"][0]["field"] == "integration_id"
    providers = (await harness.get(f"/api/v1/providers/{provider_without_polls}")).json()
    assert "polls" in str(providers)
    assert session["completion_rule"] is None
