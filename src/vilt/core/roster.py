"""The roster: per enrollment, the outcome the LMS receives; versioned, explainable, never lost."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from vilt.core.completion import AttendanceMark, Completion, Outcome
from vilt.core.errors import Conflict, TooEarly, when

UPDATE_DELAY = timedelta(hours=24)


class EntrySource(StrEnum):
    INITIAL = "initial"
    SYNC = "sync"
    MANUAL = "manual"
    UPDATE = "update"
    """Written by "Update roster", which overwrites manual edits."""


class VersionReason(StrEnum):
    SYNC = "sync"
    MANUAL = "manual"
    UPDATE = "update"


@dataclass(frozen=True)
class RosterEntry:
    enrollment_id: str
    user_id: str
    attendance: AttendanceMark
    completion: Completion
    seconds: int
    basis: str
    source: EntrySource
    changed_by: str
    changed_at: datetime | None
    reason: str | None = None

    @property
    def outcome_fields(self) -> tuple[AttendanceMark, Completion, int]:
        return (self.attendance, self.completion, self.seconds)


def initial_entry(enrollment_id: str, user_id: str) -> RosterEntry:
    return RosterEntry(
        enrollment_id,
        user_id,
        AttendanceMark.UNKNOWN,
        Completion.NOT_STARTED,
        0,
        "no attendance imported yet",
        EntrySource.INITIAL,
        "system",
        None,
    )


Roster = Mapping[str, RosterEntry]


def apply_sync(
    current: Roster,
    enrolled: Mapping[str, str],
    outcomes: Mapping[str, Outcome | None],
    *,
    actor: str,
    now: datetime,
    overwrite: bool,
) -> dict[str, RosterEntry]:
    """The roster after an attendance sync.

    ``enrolled`` maps every registered enrollment to its user. An automatic sync never touches an
    entry someone edited by hand, and leaves a learner without an outcome as they are. An
    overwrite ("Update roster") replaces everything, manual edits included; a learner without an
    outcome goes back to the initial state.
    """
    result: dict[str, RosterEntry] = {}
    for enrollment_id, user_id in enrolled.items():
        existing = current.get(enrollment_id) or initial_entry(enrollment_id, user_id)
        outcome = outcomes.get(enrollment_id)
        if not overwrite and existing.source == EntrySource.MANUAL:
            result[enrollment_id] = existing
            continue
        if outcome is None:
            result[enrollment_id] = initial_entry(enrollment_id, user_id) if overwrite else existing
            continue
        candidate = RosterEntry(
            enrollment_id,
            user_id,
            outcome.attendance,
            outcome.completion,
            outcome.seconds,
            outcome.basis,
            EntrySource.UPDATE if overwrite else EntrySource.SYNC,
            actor,
            now,
        )
        same = (
            existing.outcome_fields == candidate.outcome_fields
            and existing.basis == candidate.basis
            and existing.source == candidate.source
        )
        result[enrollment_id] = existing if same else candidate
    return result


def manual_edit(
    entry: RosterEntry,
    *,
    attendance: AttendanceMark | None,
    completion: Completion | None,
    seconds: int | None,
    reason: str,
    actor: str,
    now: datetime,
) -> RosterEntry:
    """A hand edit; it wins over every later automatic sync until "Update roster"."""
    return replace(
        entry,
        attendance=attendance or entry.attendance,
        completion=completion or entry.completion,
        seconds=entry.seconds if seconds is None else seconds,
        basis=f"set by hand: {reason}",
        source=EntrySource.MANUAL,
        changed_by=actor,
        changed_at=now,
        reason=reason,
    )


@dataclass(frozen=True)
class EntryChange:
    enrollment_id: str
    user_id: str
    field: str
    before: str | int | None
    after: str | int | None


_COMPARED = ("attendance", "completion", "seconds", "source")


def diff(before: Roster, after: Roster) -> list[EntryChange]:
    """What changed for whom between two versions."""
    changes: list[EntryChange] = []
    for enrollment_id in sorted(set(before) | set(after)):
        old, new = before.get(enrollment_id), after.get(enrollment_id)
        user_id = (new or old).user_id  # type: ignore[union-attr]
        for name in _COMPARED:
            old_value = _field(old, name)
            new_value = _field(new, name)
            if old_value != new_value:
                changes.append(EntryChange(enrollment_id, user_id, name, old_value, new_value))
    return changes


def _field(entry: RosterEntry | None, name: str) -> str | int | None:
    if entry is None:
        return None
    value = getattr(entry, name)
    return value if isinstance(value, int) else str(value)


def has_changes(before: Roster, after: Roster) -> bool:
    return bool(diff(before, after))


def update_allowed_at(ended_at: datetime) -> datetime:
    return ended_at + UPDATE_DELAY


def ensure_update_allowed(ended_at: datetime | None, now: datetime) -> None:
    """ "Update roster" waits 24 h after the end so the provider has recorded attendance."""
    if ended_at is None:
        raise Conflict("The roster can be updated only after the session has ended.")
    allowed_at = update_allowed_at(ended_at)
    if now < allowed_at:
        raise TooEarly(
            f"The roster can be updated from {when(allowed_at)}, 24 hours after the end.",
            at_field="allowed_at",
            at=allowed_at,
        )


def ensure_editable(submitted_at: datetime | None) -> None:
    if submitted_at is not None:
        raise Conflict(
            "The roster was submitted and is locked; an administrator can reopen it.",
            submitted_at=submitted_at,
        )


def summary(entries: Iterable[RosterEntry]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry.completion.value] = counts.get(entry.completion.value, 0) + 1
    return counts
