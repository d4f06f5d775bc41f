"""Launch windows: who may enter a session, and from when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from vilt.core.errors import Conflict, Forbidden, TooEarly, when
from vilt.core.scheduling import EnrollmentStatus
from vilt.core.sessions import SessionState

DEFAULT_LEARNER_LEAD = timedelta(minutes=15)
DEFAULT_INSTRUCTOR_LEAD = timedelta(minutes=30)


class LaunchRole(StrEnum):
    HOST = "host"
    PARTICIPANT = "participant"


@dataclass(frozen=True)
class LaunchLeads:
    learner: timedelta = DEFAULT_LEARNER_LEAD
    instructor: timedelta = DEFAULT_INSTRUCTOR_LEAD


@dataclass(frozen=True)
class LaunchContext:
    """Everything the launch decision needs, read in one query."""

    state: SessionState
    starts_at: datetime
    is_instructor: bool
    enrollment_status: EnrollmentStatus | None
    leads: LaunchLeads


def opens_at(ctx: LaunchContext) -> datetime:
    lead = ctx.leads.instructor if ctx.is_instructor else ctx.leads.learner
    return ctx.starts_at - lead


def decide_launch(ctx: LaunchContext, now: datetime) -> LaunchRole:
    """The role the user launches with, or an error saying why not (and when, if later).

    An instructor always gets the host role; a learner only ever a participant one. The window
    stays open until the session has ended.
    """
    if not ctx.is_instructor:
        if ctx.enrollment_status is None or ctx.enrollment_status == EnrollmentStatus.CANCELED:
            raise Forbidden("This user is not enrolled in the session.")
        if ctx.enrollment_status == EnrollmentStatus.WAITLISTED:
            raise Forbidden("This user is on the waitlist; a seat has not been freed yet.")
    if ctx.state == SessionState.CANCELED:
        raise Conflict("The session was canceled.", state=ctx.state.value)
    if ctx.state == SessionState.ENDED:
        raise Conflict("The session has ended.", state=ctx.state.value)
    window_opens = opens_at(ctx)
    if now < window_opens:
        raise TooEarly(
            f"The session can be launched from {when(window_opens)}.",
            at_field="opens_at",
            at=window_opens,
        )
    return LaunchRole.HOST if ctx.is_instructor else LaunchRole.PARTICIPANT
