"""The planner's parts for registrant providers and provider-reported ends: learners registered
ahead of their launch (REGISTER), registrations of canceled enrollments canceled (UNREGISTER), and
a signed "meeting ended" from the provider (PROVIDER_ENDED)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tests.core.support import PROPERTIES, T0, minutes
from vilt.core.planner import PROVIDER_WRITES, Action, AttendanceState, Plan, SessionSnapshot, plan
from vilt.core.sessions import SessionState

STARTS = T0 + timedelta(hours=3)
ENDS = STARTS + timedelta(hours=1)
AUTO_END = ENDS + timedelta(hours=2)
SCHEDULED = SessionSnapshot(SessionState.SCHEDULED, STARTS, ENDS, provider_ref="m-1")


# --- registering learners ahead -------------------------------------------------------------------


def test_learners_waiting_for_registration_are_registered_at_once() -> None:
    waiting = replace(SCHEDULED, registrations_pending=True)
    assert plan(waiting, T0) == Plan((Action.REGISTER,), AUTO_END)
    assert Action.REGISTER in PROVIDER_WRITES


def test_registration_waits_for_the_meeting_to_exist_and_for_a_pending_push() -> None:
    assert plan(replace(SCHEDULED, registrations_pending=True, provider_ref=None), T0).actions == ()
    pushing = replace(SCHEDULED, registrations_pending=True, push_pending=True)
    assert plan(pushing, T0).actions == (Action.PUSH,)
    created = replace(pushing, push_pending=False)
    assert plan(created, T0).actions == (Action.REGISTER,)


def test_a_failed_registration_waits_for_its_retry_time() -> None:
    retry_at = T0 + minutes(2)
    failing = replace(SCHEDULED, registrations_pending=True, sync_retry_at=retry_at)
    assert plan(failing, T0) == Plan((), retry_at)
    assert plan(failing, retry_at).actions == (Action.REGISTER,)


def test_nobody_is_registered_for_an_ended_or_canceled_session() -> None:
    for state in (SessionState.ENDED, SessionState.CANCELED):
        over = replace(SCHEDULED, state=state, registrations_pending=True, ended_at=ENDS)
        assert Action.REGISTER not in plan(over, ENDS).actions


def test_registration_needs_an_integration() -> None:
    offline = replace(SCHEDULED, registrations_pending=True, has_integration=False)
    assert Action.REGISTER not in plan(offline, T0).actions


# --- canceling the registrations of canceled enrollments ---------------------------------------------


def test_registrations_of_canceled_enrollments_are_canceled_at_once() -> None:
    waiting = replace(SCHEDULED, unregistrations_pending=True)
    assert plan(waiting, T0) == Plan((Action.UNREGISTER,), AUTO_END)
    assert Action.UNREGISTER in PROVIDER_WRITES
    live = replace(waiting, state=SessionState.LIVE)
    assert plan(live, STARTS).actions == (Action.UNREGISTER,)


def test_old_registrations_are_canceled_before_new_ones_are_made() -> None:
    both = replace(SCHEDULED, unregistrations_pending=True, registrations_pending=True)
    assert plan(both, T0).actions == (Action.UNREGISTER,)
    assert plan(replace(both, unregistrations_pending=False), T0).actions == (Action.REGISTER,)


def test_canceling_registrations_waits_for_the_meeting_a_pending_push_and_the_retry_time() -> None:
    assert plan(replace(SCHEDULED, unregistrations_pending=True, provider_ref=None), T0).actions == ()
    pushing = replace(SCHEDULED, unregistrations_pending=True, push_pending=True)
    assert plan(pushing, T0).actions == (Action.PUSH,)
    retry_at = T0 + minutes(2)
    failing = replace(SCHEDULED, unregistrations_pending=True, sync_retry_at=retry_at)
    assert plan(failing, T0) == Plan((), retry_at)
    assert plan(failing, retry_at).actions == (Action.UNREGISTER,)


def test_registrations_are_not_canceled_once_the_session_is_over_or_offline() -> None:
    # after the end the launch window is closed; a canceled session's meeting is deleted
    for state in (SessionState.ENDED, SessionState.CANCELED):
        over = replace(SCHEDULED, state=state, unregistrations_pending=True, ended_at=ENDS)
        assert Action.UNREGISTER not in plan(over, ENDS).actions
    offline = replace(SCHEDULED, unregistrations_pending=True, has_integration=False)
    assert Action.UNREGISTER not in plan(offline, T0).actions


# --- the provider says the meeting ended ------------------------------------------------------------


def test_a_reported_end_after_the_start_ends_the_session_at_once() -> None:
    live = replace(SCHEDULED, state=SessionState.LIVE, provider_ended_at=STARTS + minutes(50))
    assert plan(live, STARTS + minutes(51)) == Plan((Action.PROVIDER_ENDED,), None)


def test_a_reported_end_before_the_start_is_a_rehearsal_and_changes_nothing() -> None:
    rehearsed = replace(SCHEDULED, provider_ended_at=STARTS - timedelta(days=1))
    assert plan(rehearsed, T0) == plan(SCHEDULED, T0)


def test_a_reported_end_comes_before_pushes_and_registrations() -> None:
    busy = replace(
        SCHEDULED,
        state=SessionState.LIVE,
        push_pending=True,
        registrations_pending=True,
        provider_ended_at=STARTS + minutes(5),
    )
    assert plan(busy, STARTS + minutes(6)).actions == (Action.PROVIDER_ENDED,)


def test_a_reported_end_is_ignored_once_the_session_ended_here() -> None:
    ended = replace(
        SCHEDULED,
        state=SessionState.ENDED,
        ended_at=ENDS,
        attendance_state=AttendanceState.RECEIVED,
        provider_ended_at=ENDS + minutes(3),
    )
    assert plan(ended, ENDS + minutes(4)) == Plan((), None)


instants = st.integers(-600, 600).map(lambda m: STARTS + minutes(m))
states = st.sampled_from([SessionState.SCHEDULED, SessionState.LIVE])


@PROPERTIES
@given(
    state=states,
    reported=instants,
    now=instants,
    push=st.booleans(),
    register=st.booleans(),
    stale=st.booleans(),
)
def test_an_open_session_the_provider_ended_after_its_start_does_nothing_else_but_end(
    state: SessionState, reported: datetime, now: datetime, push: bool, register: bool, stale: bool
) -> None:
    s = replace(
        SCHEDULED,
        state=state,
        provider_ended_at=reported,
        push_pending=push,
        registrations_pending=register,
        stale_pending=stale,
    )
    actions = plan(s, now).actions
    if reported >= STARTS:
        assert Action.PROVIDER_ENDED in actions
        assert set(actions) <= {Action.PROVIDER_ENDED, Action.DELETE_STALE}
    else:
        assert Action.PROVIDER_ENDED not in actions


@PROPERTIES
@given(
    state=st.sampled_from(list(SessionState)),
    has_ref=st.booleans(),
    push=st.booleans(),
    retry_in=st.none() | st.integers(-30, 30),
    now=instants,
)
def test_register_only_for_an_open_session_with_a_meeting_and_never_before_its_retry_time(
    state: SessionState, has_ref: bool, push: bool, retry_in: int | None, now: datetime
) -> None:
    s = replace(
        SCHEDULED,
        state=state,
        provider_ref="m-1" if has_ref else None,
        push_pending=push,
        registrations_pending=True,
        sync_retry_at=None if retry_in is None else now + minutes(retry_in),
        ended_at=ENDS if state == SessionState.ENDED else None,
    )
    decided = plan(s, now)
    if Action.REGISTER in decided.actions:
        assert state in (SessionState.SCHEDULED, SessionState.LIVE)
        assert has_ref
        assert not push
        assert s.sync_retry_at is None or now >= s.sync_retry_at


@PROPERTIES
@given(
    state=st.sampled_from(list(SessionState)),
    has_ref=st.booleans(),
    push=st.booleans(),
    register=st.booleans(),
    retry_in=st.none() | st.integers(-30, 30),
    now=instants,
)
def test_unregister_only_for_an_open_session_with_a_meeting_and_always_before_register(
    state: SessionState, has_ref: bool, push: bool, register: bool, retry_in: int | None, now: datetime
) -> None:
    s = replace(
        SCHEDULED,
        state=state,
        provider_ref="m-1" if has_ref else None,
        push_pending=push,
        registrations_pending=register,
        unregistrations_pending=True,
        sync_retry_at=None if retry_in is None else now + minutes(retry_in),
        ended_at=ENDS if state == SessionState.ENDED else None,
    )
    decided = plan(s, now)
    assert Action.REGISTER not in decided.actions
    if Action.UNREGISTER in decided.actions:
        assert state in (SessionState.SCHEDULED, SessionState.LIVE)
        assert has_ref
        assert not push
        assert s.sync_retry_at is None or now >= s.sync_retry_at
    elif state in (SessionState.SCHEDULED, SessionState.LIVE) and has_ref and not push:
        # an open session's cancel is never dropped, only waits for its retry time
        assert s.sync_retry_at is not None
        assert now < s.sync_retry_at
