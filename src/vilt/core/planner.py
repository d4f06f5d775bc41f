"""The planner: given what is known about a session and the time, decide what the worker does.

``plan(snapshot, now)`` is pure. The worker executes the actions through services, writes the
results, and plans again; ``next_due_at`` is when the session must be looked at next.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from vilt.core.sessions import SessionState


class Action(StrEnum):
    PUSH = "push"
    """Create or update the meeting on the provider."""
    DELETE_STALE = "delete_stale"
    """Delete the meeting left on a provider the session no longer uses."""
    CANCEL_MEETING = "cancel_meeting"
    AUTO_END = "auto_end"
    """End a session nobody ended, some time after its scheduled end."""
    END_MEETING = "end_meeting"
    """Tell the provider a session ended here."""
    CHECK_LIVE = "check_live"
    """Ask the provider whether the meeting runs and who is in it."""
    FETCH_ATTENDANCE = "fetch_attendance"
    CLOSE_ATTENDANCE = "close_attendance"
    """Stop waiting for the provider: import what was observed, or close with none."""
    REGISTER = "register"
    """Register enrolled learners with the provider, so their personal join URLs are ready before
    they launch (launch never waits on the provider)."""
    UNREGISTER = "unregister"
    """Cancel, on the provider, the registrations of learners whose enrollment was canceled, so
    their personal join URLs stop admitting them."""
    PROVIDER_ENDED = "provider_ended"
    """A signed provider event said the meeting is over: end the session here (no provider call)."""


class AttendanceState(StrEnum):
    NOT_DUE = "not_due"
    WAITING = "waiting"
    RECEIVED = "received"
    CLOSED = "closed"


PROVIDER_WRITES = frozenset(
    {
        Action.PUSH,
        Action.DELETE_STALE,
        Action.CANCEL_MEETING,
        Action.END_MEETING,
        Action.REGISTER,
        Action.UNREGISTER,
    }
)


@dataclass(frozen=True)
class Timing:
    instructor_lead: timedelta = timedelta(minutes=30)
    auto_end_after: timedelta = timedelta(hours=2)
    attendance_poll_every: timedelta = timedelta(minutes=5)
    attendance_window: timedelta = timedelta(hours=1)
    live_check_every: timedelta = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionSnapshot:
    state: SessionState
    starts_at: datetime
    ends_at: datetime
    """The scheduled end."""
    has_integration: bool = True
    provider_ref: str | None = None
    push_pending: bool = False
    end_pending: bool = False
    cancel_pending: bool = False
    stale_pending: bool = False
    sync_retry_at: datetime | None = None
    """A failed provider write may be tried again from then."""
    ended_at: datetime | None = None
    attendance_state: AttendanceState = AttendanceState.NOT_DUE
    attendance_next_at: datetime | None = None
    checks_live: bool = False
    """The provider can say whether a meeting runs (BigBlueButton's getMeetingInfo)."""
    last_live_check_at: datetime | None = None
    registrations_pending: bool = False
    """Enrolled learners wait for their registration with a registrant provider."""
    unregistrations_pending: bool = False
    """Registrations of canceled enrollments wait to be canceled on the registrant provider."""
    provider_ended_at: datetime | None = None
    """When a signed provider event (Zoom's meeting.ended) said the meeting ended."""
    timing: Timing = field(default_factory=Timing)

    @property
    def auto_end_at(self) -> datetime:
        return self.ends_at + self.timing.auto_end_after

    @property
    def attendance_deadline(self) -> datetime | None:
        if self.ended_at is None:
            return None
        return self.ended_at + self.timing.attendance_window


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...]
    next_due_at: datetime | None

    @property
    def idle(self) -> bool:
        return not self.actions


def plan(s: SessionSnapshot, now: datetime) -> Plan:
    """What to do now for session ``s``, and when to look again."""
    actions: list[Action] = []
    later: list[datetime] = []

    def at(when: datetime, action: Action) -> None:
        if now >= when:
            actions.append(action)
        else:
            later.append(when)

    writes_from = s.sync_retry_at if s.sync_retry_at is not None else now

    if s.state == SessionState.CANCELED:
        if s.stale_pending:
            at(writes_from, Action.DELETE_STALE)
        if s.cancel_pending:
            at(writes_from, Action.CANCEL_MEETING)
        return _finish(actions, later, now)

    if s.stale_pending:
        at(writes_from, Action.DELETE_STALE)

    if s.state in (SessionState.SCHEDULED, SessionState.LIVE):
        if s.has_integration and s.provider_ended_at is not None and s.provider_ended_at >= s.starts_at:
            # over on the provider: nothing left to push or register. An end before the scheduled
            # start is a rehearsal (the host tried the room) and is ignored.
            actions.append(Action.PROVIDER_ENDED)
            return _finish(actions, later, now)
        if s.push_pending and s.has_integration:
            at(writes_from, Action.PUSH)
        elif s.unregistrations_pending and s.has_integration and s.provider_ref is not None:
            # before REGISTER: a learner who canceled and enrolled again gets a new registrant,
            # never the old one back. Only while the session is open: once it ended the launch
            # window is closed and its attendance is being settled, and a canceled session's
            # meeting is deleted with its registrants, so the calls would be pointless.
            at(writes_from, Action.UNREGISTER)
        elif s.registrations_pending and s.has_integration and s.provider_ref is not None:
            at(writes_from, Action.REGISTER)
        at(s.auto_end_at, Action.AUTO_END)
        if s.checks_live and s.provider_ref is not None and not s.push_pending:
            live_from = s.starts_at - s.timing.instructor_lead
            if s.last_live_check_at is not None and s.last_live_check_at >= live_from:
                live_from = s.last_live_check_at + s.timing.live_check_every
            at(live_from, Action.CHECK_LIVE)

    if s.state == SessionState.ENDED:
        if s.end_pending and s.has_integration and s.provider_ref is not None:
            at(writes_from, Action.END_MEETING)
        deadline = s.attendance_deadline
        if s.attendance_state == AttendanceState.WAITING and deadline is not None:
            assert s.ended_at is not None
            # The first fetch is due at the end; every fetch moves attendance_next_at past it. Never
            # give up without asking once, even when the worker comes back (or learns of a provider's
            # end) after the hour is over.
            fetched = s.attendance_next_at is not None and s.attendance_next_at > s.ended_at
            if now >= deadline and fetched:
                actions.append(Action.CLOSE_ATTENDANCE)
            else:
                at(s.attendance_next_at or s.ended_at, Action.FETCH_ATTENDANCE)
                if now < deadline:
                    later.append(deadline)

    return _finish(actions, later, now)


def _finish(actions: list[Action], later: list[datetime], now: datetime) -> Plan:
    future = [t for t in later if t > now]
    return Plan(tuple(actions), min(future) if future else None)


def backoff(
    attempts: int, *, base: timedelta = timedelta(seconds=30), cap: timedelta = timedelta(hours=1)
) -> timedelta:
    """Delay before retry number ``attempts`` (1-based): 30 s, 1 min, 2 min ... at most an hour."""
    if attempts <= 0:
        return timedelta(0)
    exponent = min(attempts - 1, 20)
    return min(base * (1 << exponent), cap)


def retry_delay(attempts: int, retry_after: timedelta | None) -> timedelta:
    """The provider's Retry-After, when it sent one, decides; otherwise our own back-off."""
    if retry_after is None:
        return backoff(attempts)
    return max(retry_after, timedelta(seconds=1))
