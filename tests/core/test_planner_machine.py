"""The planner under a Hypothesis state machine.

A model worker executes what ``plan`` decides, one action per step as ``vilt.jobs.worker`` does,
and applies the outcome to the snapshot the way ``vilt.services.sync`` writes it back. Between
steps users edit, start, end and cancel; the provider fails, answers live checks and sends
attendance; the clock jumps to ``next_due_at`` or by any amount. After every step the plan must
keep its promises, and from any state a cooperative provider must bring the session to rest.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tests.core.support import T0, minutes
from vilt.core.planner import (
    PROVIDER_WRITES,
    Action,
    AttendanceState,
    Plan,
    SessionSnapshot,
    Timing,
    backoff,
    plan,
    retry_delay,
)
from vilt.core.sessions import SessionState, transition

ATTENDANCE_POLL = timedelta(minutes=5)
"""What the worker waits after a fetch that brought no final report (``services.sync``)."""

S = SessionState
OPEN = (S.SCHEDULED, S.LIVE)


class Live(StrEnum):
    """What the provider answers to "is the meeting running?"."""

    RUNNING = "running"
    IDLE = "idle"
    """It exists and nobody is in it: not started yet, or over."""
    GONE = "gone"
    """The provider no longer knows the meeting."""
    ERROR = "error"


class Fetch(StrEnum):
    READY = "ready"
    NOT_READY = "not_ready"
    ERROR = "error"


@dataclass
class World:
    """The session row as the worker sees it, plus what the snapshot is derived from."""

    snap: SessionSnapshot
    now: datetime
    has_end: bool
    """The provider can end a meeting (sync only owes it an END_MEETING then)."""
    attempts: int = 0
    stale: int = 0
    seen_running: bool = False
    fetches_since_end: int = 0
    meetings_created: int = 0

    def plan(self) -> Plan:
        return plan(self.snap, self.now)

    def head(self) -> Action | None:
        actions = self.plan().actions
        return actions[0] if actions else None

    def set(self, **changes: object) -> None:
        self.snap = replace(self.snap, **changes)  # type: ignore[arg-type]

    # facts recorded by users, webhooks and services (sessions.want_push, sessions.mark_ended)

    def want_push(self) -> None:
        self.attempts = 0
        self.set(push_pending=True, sync_retry_at=None)

    def mark_ended(self, when: datetime, *, provider_ended: bool) -> None:
        s = self.snap
        attendance, next_at = s.attendance_state, s.attendance_next_at
        if attendance == AttendanceState.NOT_DUE:
            attendance = AttendanceState.WAITING if s.has_integration else AttendanceState.CLOSED
            next_at = when
        self.fetches_since_end = 0
        self.set(
            state=transition(s.state, S.ENDED),
            ended_at=when,
            end_pending=self.has_end and not provider_ended and s.provider_ref is not None,
            attendance_state=attendance,
            attendance_next_at=next_at,
        )

    # the worker

    def write_succeeded(self, action: Action) -> None:
        self.attempts = 0
        self.set(sync_retry_at=None)
        if action == Action.PUSH:
            if self.snap.provider_ref is None:
                self.meetings_created += 1
                self.set(provider_ref=f"meeting-{self.meetings_created}")
            self.set(push_pending=False)
        elif action == Action.DELETE_STALE:
            self.stale -= 1
            self.set(stale_pending=self.stale > 0)
        elif action == Action.CANCEL_MEETING:
            self.set(cancel_pending=False)
        elif action == Action.END_MEETING:
            self.set(end_pending=False)
        elif action == Action.REGISTER:
            self.set(registrations_pending=False)
        elif action == Action.UNREGISTER:
            self.set(unregistrations_pending=False)

    def write_failed(self, retry_after: timedelta | None) -> timedelta:
        self.attempts += 1
        delay = retry_delay(self.attempts, retry_after)
        self.set(sync_retry_at=self.now + delay)
        return delay

    def auto_end(self) -> None:
        self.mark_ended(self.now, provider_ended=False)

    def live_checked(self, answer: Live) -> None:
        self.set(last_live_check_at=self.now)
        if answer == Live.RUNNING:
            self.seen_running = True
            if self.snap.state == S.SCHEDULED:
                self.set(state=transition(S.SCHEDULED, S.LIVE))
        elif answer in (Live.IDLE, Live.GONE) and self.seen_running:
            self.mark_ended(self.now, provider_ended=True)  # it ran and now it does not
        elif answer == Live.GONE:
            self.want_push()  # an unused meeting expired: create it again before anyone joins

    def fetched(self, answer: Fetch) -> None:
        self.fetches_since_end += 1
        self.set(attendance_next_at=self.now + ATTENDANCE_POLL)
        if answer == Fetch.READY:
            self.set(attendance_state=AttendanceState.RECEIVED, attendance_next_at=None)

    def closed(self, observed_while_live: bool) -> None:
        assert self.fetches_since_end >= 1, "closed with no attendance without asking the provider once"
        received = AttendanceState.RECEIVED if observed_while_live else AttendanceState.CLOSED
        self.set(attendance_state=received, attendance_next_at=None)

    def attendance_arrived(self) -> None:
        """A webhook or callback brought the final report (``attendance.import_reports``)."""
        if self.snap.state in OPEN:
            self.mark_ended(self.now, provider_ended=True)
        self.set(attendance_state=AttendanceState.RECEIVED, attendance_next_at=None)

    def execute(self, action: Action, *, live: Live = Live.IDLE, fetch: Fetch = Fetch.READY) -> None:
        """One worker step with a provider that accepts every write."""
        if action in PROVIDER_WRITES:
            self.write_succeeded(action)
        elif action == Action.AUTO_END:
            self.auto_end()
        elif action == Action.PROVIDER_ENDED:
            reported = self.snap.provider_ended_at
            assert reported is not None
            self.mark_ended(min(reported, self.now), provider_ended=True)
        elif action == Action.CHECK_LIVE:
            self.live_checked(live)
        elif action == Action.FETCH_ATTENDANCE:
            self.fetched(fetch)
        else:
            assert action == Action.CLOSE_ATTENDANCE
            self.closed(observed_while_live=False)


def check_plan(world: World) -> None:
    """What every plan promises, whatever led to the snapshot."""
    s, now = world.snap, world.now
    decided = plan(s, now)
    actions = set(decided.actions)
    assert plan(s, now) == decided, "plan is a pure function"
    assert len(decided.actions) == len(actions), f"an action planned twice: {decided}"
    if decided.next_due_at is not None:
        assert decided.next_due_at > now, f"due in the past: {decided}"
    if actions & {Action.FETCH_ATTENDANCE, Action.CLOSE_ATTENDANCE}:
        assert s.state == S.ENDED, f"attendance for a {s.state} session"
    if s.state in (S.CANCELED, S.ENDED):
        assert not actions & {Action.PUSH, Action.CHECK_LIVE, Action.AUTO_END}, decided
    if Action.AUTO_END in actions:
        assert now >= s.ends_at + s.timing.auto_end_after
    if actions & PROVIDER_WRITES and s.sync_retry_at is not None:
        assert now >= s.sync_retry_at, f"a provider write before its retry time: {decided}"
    if Action.CLOSE_ATTENDANCE in actions:
        assert s.ended_at is not None
        assert now >= s.ended_at + timedelta(hours=1)
    if Action.PUSH in actions:
        assert s.has_integration
    if Action.REGISTER in actions:
        assert s.state in OPEN
        assert s.provider_ref is not None
        assert not s.push_pending
        assert not s.unregistrations_pending, "registering before the old registrations are canceled"
    if Action.UNREGISTER in actions:
        assert s.state in OPEN, "canceling registrations of a session that is over is pointless"
        assert s.has_integration
        assert s.provider_ref is not None
        assert not s.push_pending
        assert s.unregistrations_pending
    if Action.PROVIDER_ENDED in actions:
        assert s.state in OPEN
        assert s.provider_ended_at is not None
        assert s.provider_ended_at >= s.starts_at
        assert actions <= {Action.PROVIDER_ENDED, Action.DELETE_STALE}, "nothing but the end after it ended"
    # sleeping until next_due_at misses nothing: no new action becomes due before it ...
    later = decided.next_due_at
    probes = (
        [now + (later - now) / 2, later - timedelta(microseconds=1)]
        if later
        else [now + timedelta(days=3650)]
    )
    for probe in probes:
        if probe > now:
            assert set(plan(s, probe).actions) == actions, f"something fell due before next_due_at {later}"
    # ... and a worker that sleeps until next_due_at never wakes for nothing
    if later is not None and decided.idle:
        assert set(plan(s, later).actions) != actions, f"a wake-up at {later} with nothing new to do"


def drain(world: World, *, live: Live, fetch: Fetch) -> int:
    """Execute plans and jump to ``next_due_at`` until the session rests; return the steps taken."""
    s = world.snap
    checks_left = max((s.ends_at + s.timing.auto_end_after - world.now) / s.timing.live_check_every, 0)
    # at worst each live check finds the meeting gone: check, push it again, sleep (3 steps); then a
    # few writes, an hour of fetches every 5 minutes and the close
    bound = 3 * (int(checks_left) + 1) + 2 * world.stale + 60
    for step in range(bound):
        check_plan(world)
        decided = world.plan()
        if decided.actions:
            world.execute(decided.actions[0], live=live, fetch=fetch)
        elif decided.next_due_at is not None:
            world.now = decided.next_due_at
        else:
            return step
    raise AssertionError(f"no rest after {bound} steps: {world.snap} at {world.now}")


def check_rest(world: World) -> None:
    s = world.snap
    assert world.plan() == Plan((), None)
    # a scheduled or live session always has its auto-end ahead, so resting means it is over
    assert s.state in (S.ENDED, S.CANCELED)
    assert not s.stale_pending
    if s.state == S.CANCELED:
        assert not s.cancel_pending
        assert s.attendance_state == AttendanceState.NOT_DUE
    else:
        assert s.attendance_state in (AttendanceState.RECEIVED, AttendanceState.CLOSED)
        if not s.has_integration:
            assert s.attendance_state == AttendanceState.CLOSED
        if s.provider_ref is not None and s.has_integration:
            assert not s.end_pending


retry_afters = st.none() | st.integers(0, 2 * 3600).map(lambda s: timedelta(seconds=s))


class PlannerMachine(RuleBasedStateMachine):
    world: World

    @initialize(
        starts_in=st.integers(-180, 360),
        duration=st.integers(1, 180),
        has_integration=st.booleans(),
        checks_live=st.booleans(),
        has_end=st.booleans(),
        instructor_lead=st.integers(0, 60),
        auto_end_after=st.integers(0, 180),
    )
    def schedule(
        self,
        starts_in: int,
        duration: int,
        has_integration: bool,
        checks_live: bool,
        has_end: bool,
        instructor_lead: int,
        auto_end_after: int,
    ) -> None:
        starts_at = T0 + minutes(starts_in)
        snap = SessionSnapshot(
            state=S.SCHEDULED,
            starts_at=starts_at,
            ends_at=starts_at + minutes(duration),
            has_integration=has_integration,
            push_pending=has_integration,  # saving a session with an integration asks for a push
            checks_live=checks_live and has_integration,
            timing=Timing(instructor_lead=minutes(instructor_lead), auto_end_after=minutes(auto_end_after)),
        )
        self.world = World(snap, T0, has_end=has_end and has_integration)
        self.delays: list[timedelta] = []
        self.steps = 0

    # --- users -----------------------------------------------------------------------------------

    @precondition(lambda self: self.world.snap.state in OPEN and self.world.snap.has_integration)
    @rule()
    def user_edits(self) -> None:
        self.world.want_push()
        self.delays.clear()

    @precondition(lambda self: self.world.snap.sync_retry_at is not None)
    @rule()
    def user_retries_now(self) -> None:
        self.world.set(sync_retry_at=None)

    @precondition(lambda self: self.world.snap.state == S.SCHEDULED and self.world.snap.has_integration)
    @rule(keep_an_integration=st.booleans())
    def user_changes_the_integration(self, keep_an_integration: bool) -> None:
        w = self.world
        if w.snap.provider_ref is not None:
            w.stale += 1
            w.set(stale_pending=True, provider_ref=None)
        w.seen_running = False
        # services.sessions.update: the new meeting has no provider end and needs its registrations
        # the old meeting is deleted with its registrants: none is left to cancel
        w.set(provider_ended_at=None, registrations_pending=True, unregistrations_pending=False)
        if keep_an_integration:
            w.want_push()
        else:
            w.has_end = False
            w.set(has_integration=False, push_pending=False, checks_live=False)

    @precondition(
        lambda self: (
            self.world.snap.state == S.SCHEDULED
            and self.world.now >= self.world.snap.starts_at - self.world.snap.timing.instructor_lead
        )
    )
    @rule()
    def instructor_starts(self) -> None:
        self.world.set(state=transition(S.SCHEDULED, S.LIVE))

    @precondition(lambda self: self.world.snap.state in OPEN)
    @rule()
    def instructor_ends(self) -> None:
        self.world.mark_ended(self.world.now, provider_ended=False)

    @precondition(lambda self: self.world.snap.state == S.SCHEDULED)
    @rule()
    def user_cancels(self) -> None:
        w = self.world
        w.set(state=transition(S.SCHEDULED, S.CANCELED), cancel_pending=w.snap.provider_ref is not None)

    @precondition(lambda self: self.world.snap.state in OPEN and self.world.snap.has_integration)
    @rule()
    def learner_enrolls(self) -> None:
        """A registrant provider: the learner is registered by the worker before their launch."""
        self.world.set(registrations_pending=True)

    @precondition(lambda self: self.world.snap.state in OPEN and self.world.snap.has_integration)
    @rule()
    def registered_learner_cancels(self) -> None:
        """Their registration is canceled on the provider by the worker (services.registrations)."""
        self.world.set(unregistrations_pending=True)

    # --- the provider, on its own ----------------------------------------------------------------

    @precondition(lambda self: self.world.snap.state in OPEN and self.world.snap.has_integration)
    @rule(minutes_ago=st.integers(0, 180))
    def provider_reports_the_end(self, minutes_ago: int) -> None:
        """A signed webhook (Zoom's meeting.ended): the meeting ended some time ago, or now."""
        self.world.set(provider_ended_at=self.world.now - minutes(minutes_ago))

    @precondition(lambda self: self.world.snap.state != S.CANCELED and self.world.snap.has_integration)
    @rule()
    def attendance_arrives_by_webhook(self) -> None:
        self.world.attendance_arrived()

    # --- the worker ------------------------------------------------------------------------------

    @precondition(lambda self: self.world.head() in PROVIDER_WRITES)
    @rule()
    def provider_write_succeeds(self) -> None:
        action = self.world.head()
        assert action is not None
        self.world.write_succeeded(action)
        self.delays.clear()

    @precondition(lambda self: self.world.head() in PROVIDER_WRITES)
    @rule(retry_after=retry_afters)
    def provider_write_fails(self, retry_after: timedelta | None) -> None:
        w = self.world
        delay = w.write_failed(retry_after)
        assert w.snap.sync_retry_at is not None
        assert w.snap.sync_retry_at > w.now
        if retry_after is None:
            assert delay == backoff(w.attempts)
            if self.delays:
                assert delay >= self.delays[-1], "back-off never shrinks while failures continue"
            assert delay <= timedelta(hours=1)
            self.delays.append(delay)
        else:
            assert delay == max(retry_after, timedelta(seconds=1))
        assert w.head() not in PROVIDER_WRITES, "a failed write is not retried at once"

    @precondition(lambda self: self.world.head() == Action.AUTO_END)
    @rule()
    def auto_end(self) -> None:
        self.world.auto_end()
        assert self.world.snap.state == S.ENDED
        assert self.world.snap.ended_at == self.world.now

    @precondition(lambda self: self.world.head() == Action.CHECK_LIVE)
    @rule(answer=st.sampled_from(Live))
    def provider_answers_a_live_check(self, answer: Live) -> None:
        self.world.live_checked(answer)

    @precondition(lambda self: self.world.head() == Action.FETCH_ATTENDANCE)
    @rule(answer=st.sampled_from(Fetch))
    def provider_answers_a_fetch(self, answer: Fetch) -> None:
        self.world.fetched(answer)
        if answer != Fetch.READY:
            assert self.world.head() != Action.FETCH_ATTENDANCE, "the next fetch waits 5 minutes"

    @precondition(lambda self: self.world.head() == Action.CLOSE_ATTENDANCE)
    @rule(observed_while_live=st.booleans())
    def attendance_is_closed(self, observed_while_live: bool) -> None:
        self.world.closed(observed_while_live)

    # --- the clock -------------------------------------------------------------------------------

    @precondition(lambda self: self.world.plan().next_due_at is not None)
    @rule()
    def clock_reaches_next_due_at(self) -> None:
        due = self.world.plan().next_due_at
        assert due is not None
        self.world.now = due

    @rule(seconds=st.integers(1, 6 * 3600))
    def clock_advances(self, seconds: int) -> None:
        self.world.now += timedelta(seconds=seconds)

    @precondition(lambda self: self.steps >= 12)  # late, so the steps before it explore one at a time
    @rule(
        live=st.sampled_from([Live.RUNNING, Live.IDLE, Live.GONE]),
        fetch=st.sampled_from([Fetch.READY, Fetch.NOT_READY]),
    )
    def worker_runs_until_rest(self, live: Live, fetch: Fetch) -> None:
        drain(self.world, live=live, fetch=fetch)
        check_rest(self.world)

    # --- what must always hold -------------------------------------------------------------------

    @invariant()
    def plan_keeps_its_promises(self) -> None:
        self.steps += 1
        check_plan(self.world)

    def teardown(self) -> None:
        # liveness: whatever happened, a cooperative provider brings the session to rest
        if hasattr(self, "world"):
            drain(self.world, live=Live.IDLE, fetch=Fetch.NOT_READY)
            check_rest(self.world)


PlannerMachine.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_planner_lifecycle = PlannerMachine.TestCase
