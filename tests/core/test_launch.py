"""Launch windows: who may enter a session, with which role, and from when."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.core.support import T0, minutes
from vilt.core.errors import Conflict, Forbidden, TooEarly
from vilt.core.launch import LaunchContext, LaunchLeads, LaunchRole, decide_launch, opens_at
from vilt.core.scheduling import EnrollmentStatus
from vilt.core.sessions import SessionState

STARTS = T0 + timedelta(hours=2)


def learner(
    state: SessionState = SessionState.SCHEDULED,
    status: EnrollmentStatus | None = EnrollmentStatus.REGISTERED,
    leads: LaunchLeads | None = None,
) -> LaunchContext:
    return LaunchContext(state, STARTS, False, status, leads or LaunchLeads())


def instructor(
    state: SessionState = SessionState.SCHEDULED, leads: LaunchLeads | None = None
) -> LaunchContext:
    return LaunchContext(state, STARTS, True, None, leads or LaunchLeads())


def test_a_learner_may_enter_15_minutes_before_the_start() -> None:
    assert opens_at(learner()) == STARTS - minutes(15)
    assert decide_launch(learner(), STARTS - minutes(15)) == LaunchRole.PARTICIPANT
    with pytest.raises(TooEarly) as caught:
        decide_launch(learner(), STARTS - minutes(15) - timedelta(seconds=1))
    assert caught.value.status == 409
    assert caught.value.at == STARTS - minutes(15)
    assert caught.value.extra == {"opens_at": STARTS - minutes(15)}


def test_an_instructor_may_enter_30_minutes_before_the_start_as_host() -> None:
    assert opens_at(instructor()) == STARTS - minutes(30)
    assert decide_launch(instructor(), STARTS - minutes(30)) == LaunchRole.HOST
    with pytest.raises(TooEarly) as caught:
        decide_launch(instructor(), STARTS - minutes(31))
    assert caught.value.extra == {"opens_at": STARTS - minutes(30)}


def test_an_integration_can_change_the_leads() -> None:
    leads = LaunchLeads(learner=minutes(5), instructor=minutes(60))
    with pytest.raises(TooEarly) as caught:
        decide_launch(learner(leads=leads), STARTS - minutes(6))
    assert caught.value.at == STARTS - minutes(5)
    assert decide_launch(instructor(leads=leads), STARTS - minutes(60)) == LaunchRole.HOST


@pytest.mark.parametrize("state", [SessionState.SCHEDULED, SessionState.LIVE])
def test_the_window_stays_open_until_the_session_has_ended(state: SessionState) -> None:
    # still open long after the scheduled end while nobody has ended it
    assert decide_launch(learner(state), STARTS + timedelta(hours=5)) == LaunchRole.PARTICIPANT
    assert decide_launch(instructor(state), STARTS + timedelta(hours=5)) == LaunchRole.HOST


@pytest.mark.parametrize(
    "status",
    [None, EnrollmentStatus.WAITLISTED, EnrollmentStatus.CANCELED],
    ids=["not enrolled", "waitlisted", "canceled"],
)
def test_a_learner_without_a_seat_is_refused_at_any_time(status: EnrollmentStatus | None) -> None:
    for now in (STARTS - timedelta(days=1), STARTS, STARTS + minutes(30)):
        with pytest.raises(Forbidden) as caught:
            decide_launch(learner(status=status), now)
        assert caught.value.status == 403


def test_a_waitlisted_learner_is_told_why() -> None:
    with pytest.raises(Forbidden, match="waitlist"):
        decide_launch(learner(status=EnrollmentStatus.WAITLISTED), STARTS)


@pytest.mark.parametrize("state", [SessionState.ENDED, SessionState.CANCELED])
def test_nobody_enters_an_ended_or_canceled_session(state: SessionState) -> None:
    for ctx in (learner(state), instructor(state)):
        with pytest.raises(Conflict) as caught:
            decide_launch(ctx, STARTS + minutes(10))
        assert not isinstance(caught.value, TooEarly)
        assert caught.value.extra == {"state": state.value}


def test_a_learner_never_gets_the_host_role() -> None:
    for state in (SessionState.SCHEDULED, SessionState.LIVE):
        for now in (STARTS - minutes(15), STARTS, STARTS + timedelta(hours=3)):
            assert decide_launch(learner(state), now) == LaunchRole.PARTICIPANT
