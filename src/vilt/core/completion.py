"""Completion rules: how attendance becomes a result the LMS understands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from vilt.core.errors import ErrorList


class RuleKind(StrEnum):
    ATTENDED = "attended"
    MIN_PERCENT = "min_percent"
    MIN_MINUTES = "min_minutes"
    ALL_POLLS_ANSWERED = "all_polls_answered"


class AttendanceMark(StrEnum):
    ATTENDED = "attended"
    ABSENT = "absent"
    UNKNOWN = "unknown"


class Completion(StrEnum):
    COMPLETED = "completed"
    IN_PROGRESS = "in_progress"
    FAILED = "failed"
    NOT_STARTED = "not_started"


_NEEDS_VALUE = {RuleKind.MIN_PERCENT: (1, 100), RuleKind.MIN_MINUTES: (1, 1439)}


@dataclass(frozen=True)
class CompletionRule:
    kind: RuleKind = RuleKind.ATTENDED
    value: int | None = None

    @classmethod
    def parse(cls, raw: dict[str, Any] | None, field_name: str = "completion_rule") -> CompletionRule:
        """A rule from its JSON form ``{"kind": "min_percent", "value": 80}``; errors name fields."""
        if raw is None:
            return cls()
        errors = ErrorList()
        kind_raw = raw.get("kind", RuleKind.ATTENDED.value)
        try:
            kind = RuleKind(kind_raw)
        except ValueError:
            known = ", ".join(k.value for k in RuleKind)
            errors.add(f"{field_name}.kind", f"Unknown rule '{kind_raw}'; use one of: {known}.")
            errors.raise_if_any()
            raise AssertionError("unreachable") from None
        value = raw.get("value")
        bounds = _NEEDS_VALUE.get(kind)
        if bounds is None:
            value = None
        elif not isinstance(value, int) or isinstance(value, bool):
            errors.add(f"{field_name}.value", f"The rule {kind.value} needs a whole number.")
        elif not bounds[0] <= value <= bounds[1]:
            errors.add(
                f"{field_name}.value",
                f"The rule {kind.value} takes a value from {bounds[0]} to {bounds[1]}.",
            )
        errors.raise_if_any()
        return cls(kind, value)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "value": self.value}

    def describe(self) -> str:
        if self.kind == RuleKind.MIN_PERCENT:
            return f"present at least {self.value}% of the scheduled time"
        if self.kind == RuleKind.MIN_MINUTES:
            return f"present at least {self.value} minutes"
        if self.kind == RuleKind.ALL_POLLS_ANSWERED:
            return "every poll question answered"
        return "any attendance"


@dataclass(frozen=True)
class Presence:
    """A matched learner's attendance, already merged and clipped."""

    seconds_in_window: int
    total_seconds: int
    polls_answered: int = 0
    polls_asked: int = 0


@dataclass(frozen=True)
class Window:
    starts_at: datetime
    ends_at: datetime

    @property
    def seconds(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds())


@dataclass(frozen=True)
class Outcome:
    attendance: AttendanceMark
    completion: Completion
    seconds: int
    basis: str
    """A sentence saying how the result was decided."""


def evaluate(rule: CompletionRule, presence: Presence, window: Window) -> Outcome:
    """The outcome for a learner who was matched to at least one attendance record."""
    minutes = presence.seconds_in_window // 60
    if rule.kind == RuleKind.ATTENDED:
        return Outcome(
            AttendanceMark.ATTENDED,
            Completion.COMPLETED,
            presence.seconds_in_window,
            f"attended ({minutes} min in the scheduled time)",
        )
    if rule.kind == RuleKind.MIN_PERCENT:
        assert rule.value is not None
        share = presence.seconds_in_window * 100 / window.seconds if window.seconds else 0.0
        done = share >= rule.value
        # rounded down, so 79.7% never reads "80%; 80% needed" next to a failure
        shown = presence.seconds_in_window * 100 // window.seconds if window.seconds else 0
        return Outcome(
            AttendanceMark.ATTENDED,
            Completion.COMPLETED if done else Completion.FAILED,
            presence.seconds_in_window,
            f"present {shown}% of the scheduled time; {rule.value}% needed",
        )
    if rule.kind == RuleKind.MIN_MINUTES:
        assert rule.value is not None
        done = presence.seconds_in_window >= rule.value * 60
        return Outcome(
            AttendanceMark.ATTENDED,
            Completion.COMPLETED if done else Completion.FAILED,
            presence.seconds_in_window,
            f"present {minutes} min in the scheduled time; {rule.value} min needed",
        )
    answered, asked = presence.polls_answered, presence.polls_asked
    done = answered >= asked
    return Outcome(
        AttendanceMark.ATTENDED,
        Completion.COMPLETED if done else Completion.IN_PROGRESS,
        presence.seconds_in_window,
        f"answered {answered} of {asked} poll questions",
    )


def non_attendee(mark_failed: bool) -> Outcome | None:
    """The outcome for an enrolled learner with no record, or None to leave them unchanged."""
    if not mark_failed:
        return None
    return Outcome(AttendanceMark.ABSENT, Completion.FAILED, 0, "no attendance reported")
