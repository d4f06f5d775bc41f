"""Attendance records as providers report them, and interval arithmetic over them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class AttendanceSource(StrEnum):
    WEBHOOK = "webhook"
    POLL = "poll"
    MANUAL = "manual"


@dataclass(frozen=True, order=True)
class Interval:
    """Half-open presence interval ``[start, end)`` in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("An interval cannot end before it starts.")

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True)
class Engagement:
    polls_answered: int = 0
    polls_asked: int = 0
    chats: int = 0
    talks: int = 0


@dataclass(frozen=True)
class ParticipantReport:
    """One participant as the provider reported them (after the adapter merged its rows)."""

    participant_key: str
    """The provider's id for this participant; stable across repeated imports."""
    display_name: str = ""
    email: str | None = None
    bound_identity: str | None = None
    """The identity Vilt gave at join (BBB userID, Zoom registrant id...)."""
    role: str = "attendee"
    intervals: tuple[Interval, ...] = ()
    engagement: Engagement = field(default_factory=Engagement)

    @property
    def total_seconds(self) -> int:
        return int(total_seconds(self.intervals))


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping intervals covering the same instants (reconnects merged)."""
    merged: list[Interval] = []
    for current in sorted(intervals):
        if merged and current.start <= merged[-1].end:
            last = merged[-1]
            if current.end > last.end:
                merged[-1] = Interval(last.start, current.end)
        else:
            merged.append(current)
    return merged


def clip(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    """The parts of ``intervals`` that fall inside ``[start, end)``."""
    clipped = []
    for interval in intervals:
        lo, hi = max(interval.start, start), min(interval.end, end)
        if lo < hi:
            clipped.append(Interval(lo, hi))
    return clipped


def total_seconds(intervals: Iterable[Interval]) -> float:
    """Time covered by ``intervals``, counting overlaps once."""
    return sum(i.seconds for i in merge_intervals(intervals))


def seconds_within(intervals: Iterable[Interval], start: datetime, end: datetime) -> float:
    return total_seconds(clip(merge_intervals(intervals), start, end))


def combine_reports(reports: Sequence[ParticipantReport]) -> ParticipantReport:
    """One report for a person the provider listed several times (one row per join segment)."""
    first = reports[0]
    intervals = tuple(merge_intervals(i for r in reports for i in r.intervals))
    engagement = Engagement(
        polls_answered=max(r.engagement.polls_answered for r in reports),
        polls_asked=max(r.engagement.polls_asked for r in reports),
        chats=sum(r.engagement.chats for r in reports),
        talks=sum(r.engagement.talks for r in reports),
    )
    return ParticipantReport(
        participant_key=first.participant_key,
        display_name=next((r.display_name for r in reports if r.display_name), ""),
        email=next((r.email for r in reports if r.email), None),
        bound_identity=next((r.bound_identity for r in reports if r.bound_identity), None),
        role=first.role,
        intervals=intervals,
        engagement=engagement,
    )
