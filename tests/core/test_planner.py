"""The planner, one situation at a time: what the worker does now and when it looks again."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.core.support import PROPERTIES, T0, minutes
from vilt.core.planner import (
    Action,
    AttendanceState,
    Plan,
    SessionSnapshot,
    Timing,
    backoff,
    plan,
    retry_delay,
)
from vilt.core.sessions import SessionState

STARTS = T0 + timedelta(hours=3)
ENDS = STARTS + timedelta(hours=1)
SCHEDULED = SessionSnapshot(SessionState.SCHEDULED, STARTS, ENDS, provider_ref="m-1")


def ended(at: datetime = ENDS, **changes: object) -> SessionSnapshot:
    """As the service leaves a session it ended: waiting for attendance from the end on."""
    base = replace(
        SCHEDULED,
        state=SessionState.ENDED,
        ended_at=at,
        attendance_state=AttendanceState.WAITING,
        attendance_next_at=at,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# --- pushing to the provider ------------------------------------------------------------------------


def test_a_saved_session_is_pushed_at_once() -> None:
    fresh = replace(SCHEDULED, provider_ref=None, push_pending=True)
    assert plan(fresh, T0) == Plan((Action.PUSH,), ENDS + timedelta(hours=2))


def test_a_failed_push_waits_for_its_retry_time() -> None:
    retry_at = T0 + timedelta(seconds=30)
    failing = replace(SCHEDULED, push_pending=True, sync_retry_at=retry_at)
    assert plan(failing, T0) == Plan((), retry_at)
    assert plan(failing, retry_at - timedelta(microseconds=1)).actions == ()
    assert plan(failing, retry_at).actions == (Action.PUSH,)


def test_a_session_without_an_integration_is_never_pushed() -> None:
    offline = replace(SCHEDULED, has_integration=False, provider_ref=None, push_pending=True)
    assert Action.PUSH not in plan(offline, T0).actions


def test_the_old_meeting_is_deleted_before_the_new_one_is_created() -> None:
    moved = replace(SCHEDULED, provider_ref=None, push_pending=True, stale_pending=True)
    assert plan(moved, T0).actions == (Action.DELETE_STALE, Action.PUSH)


# --- cancel -----------------------------------------------------------------------------------------


def test_a_canceled_session_cancels_its_meeting_and_then_rests() -> None:
    canceled = replace(SCHEDULED, state=SessionState.CANCELED, cancel_pending=True, push_pending=True)
    assert plan(canceled, T0) == Plan((Action.CANCEL_MEETING,), None)
    done = replace(canceled, cancel_pending=False)
    assert plan(done, ENDS + timedelta(hours=5)) == Plan((), None)  # no auto-end, no push, no checks


def test_canceling_honours_the_back_off_of_a_failed_write() -> None:
    retry_at = T0 + minutes(2)
    canceled = replace(SCHEDULED, state=SessionState.CANCELED, cancel_pending=True, sync_retry_at=retry_at)
    assert plan(canceled, T0) == Plan((), retry_at)


# --- auto-end and live checks -----------------------------------------------------------------------


def test_a_session_nobody_ends_is_ended_2_hours_after_its_scheduled_end() -> None:
    auto_end_at = ENDS + timedelta(hours=2)
    quiet = replace(SCHEDULED, state=SessionState.LIVE)
    assert plan(quiet, STARTS) == Plan((), auto_end_at)
    assert plan(quiet, auto_end_at - timedelta(seconds=1)).actions == ()
    assert plan(quiet, auto_end_at).actions == (Action.AUTO_END,)


def test_the_auto_end_delay_is_configurable() -> None:
    prompt = replace(SCHEDULED, timing=Timing(auto_end_after=timedelta(0)))
    assert plan(prompt, ENDS).actions == (Action.AUTO_END,)


def test_a_provider_that_reports_liveness_is_asked_from_the_instructors_window_then_every_minute() -> None:
    watched = replace(SCHEDULED, checks_live=True)
    opens = STARTS - minutes(30)
    assert plan(watched, T0) == Plan((), opens)
    assert plan(watched, opens).actions == (Action.CHECK_LIVE,)
    checked = replace(watched, last_live_check_at=opens)
    assert plan(checked, opens) == Plan((), opens + minutes(1))
    # a check from before the window (e.g. yesterday) does not delay the first one in it
    old = replace(watched, last_live_check_at=T0 - timedelta(days=1))
    assert plan(old, opens).actions == (Action.CHECK_LIVE,)


def test_liveness_is_not_asked_before_the_meeting_exists_or_while_a_push_is_pending() -> None:
    watched = replace(SCHEDULED, checks_live=True)
    assert Action.CHECK_LIVE not in plan(replace(watched, provider_ref=None), STARTS).actions
    pending = replace(watched, push_pending=True, sync_retry_at=STARTS + minutes(5))
    assert plan(pending, STARTS) == Plan((), STARTS + minutes(5))


# --- after the end ----------------------------------------------------------------------------------


def test_attendance_is_fetched_at_once_after_the_end_then_when_asked() -> None:
    assert plan(ended(), ENDS) == Plan((Action.FETCH_ATTENDANCE,), ENDS + timedelta(hours=1))
    tried = ended(attendance_next_at=ENDS + minutes(5))
    assert plan(tried, ENDS + minutes(1)) == Plan((), ENDS + minutes(5))
    assert plan(tried, ENDS + minutes(5)).actions == (Action.FETCH_ATTENDANCE,)


def test_after_an_hour_of_waiting_attendance_is_closed() -> None:
    tried = ended(attendance_next_at=ENDS + minutes(65))
    assert plan(tried, ENDS + minutes(59)) == Plan((), ENDS + minutes(60))
    assert plan(tried, ENDS + minutes(60)) == Plan((Action.CLOSE_ATTENDANCE,), None)


def test_attendance_is_fetched_at_least_once_even_when_the_worker_comes_back_late() -> None:
    # the worker was down for three hours after the instructor ended the session: the provider's
    # report must still be asked for before the session is closed with no attendance
    late = ENDS + timedelta(hours=3)
    assert plan(ended(), late).actions == (Action.FETCH_ATTENDANCE,)
    after_the_fetch = ended(attendance_next_at=late + minutes(5))
    assert plan(after_the_fetch, late) == Plan((Action.CLOSE_ATTENDANCE,), None)


def test_a_provider_reported_end_in_the_past_still_gets_one_fetch() -> None:
    # the provider says the meeting ended two hours ago; we learn it only now
    reported = ended(at=T0 - timedelta(hours=2))
    assert plan(reported, T0).actions == (Action.FETCH_ATTENDANCE,)


def test_the_provider_is_told_the_session_ended_when_it_can_be() -> None:
    assert plan(ended(end_pending=True), ENDS).actions == (Action.END_MEETING, Action.FETCH_ATTENDANCE)
    never_created = ended(end_pending=True, provider_ref=None)
    assert Action.END_MEETING not in plan(never_created, ENDS).actions
    retry_at = ENDS + minutes(1)
    backing_off = ended(end_pending=True, sync_retry_at=retry_at)
    assert plan(backing_off, ENDS).actions == (Action.FETCH_ATTENDANCE,)
    assert plan(backing_off, retry_at).actions[0] == Action.END_MEETING


@pytest.mark.parametrize("attendance", [AttendanceState.RECEIVED, AttendanceState.CLOSED])
def test_an_ended_session_with_its_attendance_settled_rests(attendance: AttendanceState) -> None:
    settled = ended(attendance_state=attendance, attendance_next_at=None, checks_live=True, push_pending=True)
    assert plan(settled, ENDS + timedelta(days=2)) == Plan((), None)


# --- back-off ---------------------------------------------------------------------------------------


def test_back_off_doubles_from_30_seconds_up_to_an_hour() -> None:
    assert [backoff(n) for n in range(9)] == [
        timedelta(0),
        timedelta(seconds=30),
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=8),
        timedelta(minutes=16),
        timedelta(minutes=32),
        timedelta(hours=1),
    ]
    assert backoff(10_000) == timedelta(hours=1)
    assert backoff(-1) == timedelta(0)


@PROPERTIES
@given(st.integers(0, 200))
def test_back_off_never_shrinks_and_never_exceeds_an_hour(attempts: int) -> None:
    assert backoff(attempts) <= backoff(attempts + 1) <= timedelta(hours=1)


def test_the_providers_retry_after_decides_when_it_sent_one() -> None:
    assert retry_delay(5, None) == backoff(5)
    assert retry_delay(5, timedelta(seconds=7)) == timedelta(seconds=7)  # even if shorter than ours
    assert retry_delay(1, timedelta(minutes=10)) == timedelta(minutes=10)
    assert retry_delay(1, timedelta(0)) == timedelta(seconds=1)  # "Retry-After: 0" never spins
