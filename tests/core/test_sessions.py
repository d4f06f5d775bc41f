"""The session state machine and the validation of what a user schedules."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from tests.core.support import T0
from vilt.core.errors import Conflict, ValidationFailed
from vilt.core.sessions import (
    SessionDraft,
    SessionState,
    can_transition,
    is_known_time_zone,
    local_time,
    transition,
    validate_session,
)

S = SessionState
ALLOWED = {(S.SCHEDULED, S.LIVE), (S.SCHEDULED, S.ENDED), (S.SCHEDULED, S.CANCELED), (S.LIVE, S.ENDED)}
REPEATS_CHANGE_NOTHING = {(S.LIVE, S.LIVE), (S.ENDED, S.ENDED)}
ALL_PAIRS = [(a, b) for a in S for b in S]
UNPINNED = {(S.CANCELED, S.CANCELED)}
"""Canceling twice is made harmless by the service before it asks the state machine."""


# --- state machine ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_allowed_transitions(current: SessionState, target: SessionState) -> None:
    assert can_transition(current, target)
    assert transition(current, target) == target


@pytest.mark.parametrize(("current", "target"), sorted(REPEATS_CHANGE_NOTHING))
def test_starting_a_live_or_ending_an_ended_session_again_changes_nothing(
    current: SessionState, target: SessionState
) -> None:
    assert transition(current, target) == current


@pytest.mark.parametrize(
    ("current", "target"),
    [pair for pair in ALL_PAIRS if pair not in ALLOWED | REPEATS_CHANGE_NOTHING | UNPINNED],
)
def test_refused_transitions_raise_a_conflict_naming_both_states(
    current: SessionState, target: SessionState
) -> None:
    assert not can_transition(current, target)
    with pytest.raises(Conflict) as caught:
        transition(current, target)
    assert caught.value.status == 409
    assert caught.value.extra == {"state": current.value}
    assert current.value in caught.value.detail
    assert target.value in caught.value.detail


def test_a_live_session_cannot_be_canceled_and_finished_sessions_stay_finished() -> None:
    with pytest.raises(Conflict):
        transition(S.LIVE, S.CANCELED)
    for done in (S.ENDED, S.CANCELED):
        for target in (S.SCHEDULED, S.LIVE):
            with pytest.raises(Conflict):
                transition(done, target)


# --- validate_session -------------------------------------------------------------------------------

VALID = SessionDraft(
    title="Onboarding",
    starts_at=T0 + timedelta(days=1),
    time_zone="Europe/Berlin",
    duration=timedelta(minutes=60),
    capacity=20,
    has_integration=True,
)


def errors_of(draft: SessionDraft, now: datetime = T0, *, starts_changed: bool = True) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        validate_session(draft, now, starts_changed=starts_changed)
    assert caught.value.status == 422
    return {e.field: e.reason for e in caught.value.errors}


def test_a_valid_session_passes() -> None:
    validate_session(VALID, T0)


@pytest.mark.parametrize("title", ["A", "x" * 255, "  Padded  "])
def test_titles_of_1_to_255_characters_are_accepted(title: str) -> None:
    validate_session(replace(VALID, title=title), T0)


@pytest.mark.parametrize(
    ("title", "reason"), [("", "required"), ("   ", "required"), ("x" * 256, "256 given")]
)
def test_a_title_is_required_and_at_most_255_characters(title: str, reason: str) -> None:
    errors = errors_of(replace(VALID, title=title))
    assert list(errors) == ["title"]
    assert reason in errors["title"]


@pytest.mark.parametrize("duration", [timedelta(minutes=1), timedelta(hours=23, minutes=59)])
def test_durations_from_1_minute_to_23_h_59_are_accepted(duration: timedelta) -> None:
    validate_session(replace(VALID, duration=duration), T0)


@pytest.mark.parametrize(
    ("duration", "reason"),
    [
        (timedelta(0), "at least 1 minute"),
        (timedelta(seconds=59), "at least 1 minute"),
        (timedelta(hours=24), "at most 23 h 59 min"),
        (timedelta(hours=23, minutes=59, seconds=1), "at most 23 h 59 min"),
    ],
)
def test_durations_outside_the_range_are_refused(duration: timedelta, reason: str) -> None:
    errors = errors_of(replace(VALID, duration=duration))
    assert list(errors) == ["duration_minutes"]
    assert reason in errors["duration_minutes"]


@pytest.mark.parametrize("starts_at", [T0, T0 - timedelta(seconds=1), T0 - timedelta(days=30)])
def test_a_session_with_an_integration_must_start_in_the_future(starts_at: datetime) -> None:
    errors = errors_of(replace(VALID, starts_at=starts_at))
    assert list(errors) == ["starts_at"]
    assert "without an integration" in errors["starts_at"]  # says how to record a past session


def test_a_past_session_is_recorded_without_an_integration() -> None:
    validate_session(replace(VALID, starts_at=T0 - timedelta(days=30), has_integration=False), T0)


def test_renaming_a_running_session_keeps_its_start_valid() -> None:
    running = replace(VALID, starts_at=T0 - timedelta(minutes=10), title="Renamed")
    validate_session(running, T0, starts_changed=False)
    assert list(errors_of(running, starts_changed=True)) == ["starts_at"]


def test_a_start_without_its_utc_offset_is_refused() -> None:
    naive = datetime(2026, 5, 4, 9, 0)
    errors = errors_of(replace(VALID, starts_at=naive))
    assert list(errors) == ["starts_at"]
    assert "UTC offset" in errors["starts_at"]


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/Sao_Paulo", "Asia/Kolkata", "UTC"])
def test_known_iana_zones_are_accepted(zone: str) -> None:
    assert is_known_time_zone(zone)
    validate_session(replace(VALID, time_zone=zone), T0)


@pytest.mark.parametrize("zone", ["", "Mars/Olympus_Mons", "Europe/Berln", "GMT+3", "../etc/passwd"])
def test_unknown_time_zones_are_refused(zone: str) -> None:
    assert not is_known_time_zone(zone)
    errors = errors_of(replace(VALID, time_zone=zone))
    assert list(errors) == ["time_zone"]
    assert "IANA" in errors["time_zone"]


@pytest.mark.parametrize("capacity", [None, 1, 500])
def test_capacity_is_at_least_one_or_empty(capacity: int | None) -> None:
    validate_session(replace(VALID, capacity=capacity), T0)


@pytest.mark.parametrize("capacity", [0, -3])
def test_a_capacity_below_one_is_refused(capacity: int) -> None:
    errors = errors_of(replace(VALID, capacity=capacity))
    assert list(errors) == ["capacity"]
    assert "empty for unlimited" in errors["capacity"]


def test_every_problem_is_reported_at_once() -> None:
    broken = SessionDraft(
        title="",
        starts_at=T0 - timedelta(hours=1),
        time_zone="Nowhere/Town",
        duration=timedelta(hours=30),
        capacity=0,
        has_integration=True,
    )
    errors = errors_of(broken)
    assert set(errors) == {"title", "starts_at", "time_zone", "duration_minutes", "capacity"}


def test_local_time_shows_the_instant_in_the_sessions_zone() -> None:
    local = local_time(T0, "Europe/Berlin")
    assert local == T0
    assert (local.hour, local.utcoffset()) == (10, timedelta(hours=1))
    summer = local_time(datetime.fromisoformat("2026-07-01T09:00:00+00:00"), "Europe/Berlin")
    assert summer.hour == 11
