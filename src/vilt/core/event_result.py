"""A learner's result for a whole event, from the results of its sessions.

``alternative``: the learner attends one of the sessions, so one completed session completes
the event. ``series``: the learner attends the parts; the event is complete after N of its M
parts (every part when N is not set; N is capped at M, so canceling parts never makes a series
impossible). Canceled sessions are not parts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from vilt.core.completion import Completion
from vilt.core.sessions import SessionMode

_OPEN_STATES = ("scheduled", "live")


@dataclass(frozen=True)
class Part:
    """One session of the event, as seen by one learner."""

    session_id: str
    starts_at: datetime
    session_state: str
    enrollment_status: str | None
    """registered | waitlisted | canceled, or None when not enrolled in this session."""
    completion: Completion | None
    """The roster's completion for a registered learner."""

    @property
    def completed(self) -> bool:
        return self.enrollment_status == "registered" and self.completion == Completion.COMPLETED

    @property
    def still_possible(self) -> bool:
        """Could this part still become completed?"""
        if self.session_state == "canceled" or self.enrollment_status == "canceled":
            return False
        if self.session_state in _OPEN_STATES:
            return True
        # ended: only a result that is not final yet (polls still coming, nothing imported yet)
        return self.enrollment_status == "registered" and self.completion in (
            Completion.IN_PROGRESS,
            Completion.NOT_STARTED,
            None,
        )


@dataclass(frozen=True)
class EventResult:
    completion: Completion
    completed_parts: int
    required_parts: int
    total_parts: int
    basis: str


def combine(mode: SessionMode, parts: Sequence[Part], required: int | None = None) -> EventResult:
    if mode == SessionMode.SERIES:
        return _series(parts, required)
    return _alternative(parts)


def _series(parts: Sequence[Part], required: int | None) -> EventResult:
    counted = [p for p in parts if p.session_state != "canceled"]
    total = len(counted)
    if total == 0:
        return EventResult(Completion.NOT_STARTED, 0, 0, 0, "the series has no sessions yet")
    needed = min(required or total, total)
    done = sum(p.completed for p in counted)
    possible = sum(p.still_possible for p in counted if not p.completed)
    what = f"{done} of {total} parts completed; {needed} needed"
    if done >= needed:
        return EventResult(Completion.COMPLETED, done, needed, total, what)
    if done + possible < needed:
        return EventResult(Completion.FAILED, done, needed, total, f"{what}; too few parts remain")
    started = done > 0 or any(p.completion in (Completion.IN_PROGRESS, Completion.FAILED) for p in counted)
    return EventResult(
        Completion.IN_PROGRESS if started else Completion.NOT_STARTED, done, needed, total, what
    )


def _alternative(parts: Sequence[Part]) -> EventResult:
    mine = [
        p for p in parts if p.enrollment_status not in (None, "canceled") and p.session_state != "canceled"
    ]
    total = len(mine)
    done = sum(p.completed for p in mine)
    if done:
        chosen = next(p for p in mine if p.completed)
        return EventResult(
            Completion.COMPLETED, done, 1, total, f"completed the session of {chosen.starts_at:%Y-%m-%d}"
        )
    if not mine:
        return EventResult(Completion.NOT_STARTED, 0, 1, 0, "not enrolled in any session")
    if any(p.still_possible for p in mine):
        started = any(p.completion in (Completion.IN_PROGRESS, Completion.FAILED) for p in mine)
        state = Completion.IN_PROGRESS if started else Completion.NOT_STARTED
        return EventResult(state, 0, 1, total, "no session completed yet")
    return EventResult(Completion.FAILED, 0, 1, total, "no session was completed")
