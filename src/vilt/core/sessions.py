"""Events, sessions and the session state machine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from vilt.core.errors import Conflict, ErrorList

TITLE_MAX = 255
DURATION_MIN = timedelta(minutes=1)
DURATION_MAX = timedelta(hours=23, minutes=59)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_AHEAD = timedelta(days=3653)


class EventKind(StrEnum):
    WEBINAR = "webinar"
    MEETING = "meeting"


class SessionMode(StrEnum):
    ALTERNATIVE = "alternative"
    """A learner attends one of the event's sessions."""
    SERIES = "series"
    """A learner attends every part."""


class SessionState(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"
    CANCELED = "canceled"


class SyncState(StrEnum):
    SYNCED = "synced"
    PENDING = "pending"
    FAILED = "failed"


_TRANSITIONS: dict[SessionState, frozenset[SessionState]] = {
    SessionState.SCHEDULED: frozenset({SessionState.LIVE, SessionState.ENDED, SessionState.CANCELED}),
    SessionState.LIVE: frozenset({SessionState.ENDED}),
    SessionState.ENDED: frozenset(),
    SessionState.CANCELED: frozenset(),
}


def can_transition(current: SessionState, target: SessionState) -> bool:
    return target in _TRANSITIONS[current]


def transition(current: SessionState, target: SessionState) -> SessionState:
    """The next state, or a Conflict that names both states."""
    if current == target and target in (SessionState.LIVE, SessionState.ENDED):
        return current  # starting a live session or ending an ended one again changes nothing
    if not can_transition(current, target):
        raise Conflict(
            f"A {current.value} session cannot become {target.value}.",
            state=current.value,
        )
    return target


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_known_time_zone(name: str) -> bool:
    if name not in _known_zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def validate_title(errors: ErrorList, title: str | None, field_name: str = "title") -> None:
    if title is None or not title.strip():
        errors.add(field_name, "A title is required.")
    elif len(title) > TITLE_MAX:
        errors.add(field_name, f"A title can have at most {TITLE_MAX} characters ({len(title)} given).")


def validate_capacity(errors: ErrorList, capacity: int | None, field_name: str = "capacity") -> None:
    if capacity is not None and capacity < 1:
        errors.add(field_name, "Capacity must be at least 1, or empty for unlimited.")


@dataclass(frozen=True)
class SessionDraft:
    """What a user asks for when scheduling or editing a session."""

    title: str
    starts_at: datetime
    time_zone: str
    duration: timedelta
    capacity: int | None
    has_integration: bool


def validate_session(draft: SessionDraft, now: datetime, *, starts_changed: bool = True) -> None:
    """Raise ValidationFailed listing every problem with ``draft``.

    A session with an integration must start in the future (the provider would refuse a past
    meeting); a past session is recorded without one. ``starts_changed`` is False when an edit
    keeps the start, so renaming a running session is allowed.
    """
    errors = ErrorList()
    validate_title(errors, draft.title)
    if draft.starts_at.tzinfo is None:
        errors.add("starts_at", "Give the start with its UTC offset, e.g. 2026-05-04T09:00:00+02:00.")
    elif not EARLIEST <= draft.starts_at <= now + LATEST_AHEAD:
        errors.add("starts_at", "Give a start after 1970 and at most ten years from now.")
    elif draft.has_integration and starts_changed and draft.starts_at <= now:
        errors.add(
            "starts_at",
            "A session with an integration must start in the future; "
            "record a past session without an integration.",
        )
    if not is_known_time_zone(draft.time_zone):
        errors.add("time_zone", f"'{draft.time_zone}' is not a known IANA time zone.")
    if draft.duration < DURATION_MIN:
        errors.add("duration_minutes", "A session lasts at least 1 minute.")
    elif draft.duration > DURATION_MAX:
        errors.add("duration_minutes", "A session lasts at most 23 h 59 min (1439 minutes).")
    validate_capacity(errors, draft.capacity)
    errors.raise_if_any()


def local_time(instant: datetime, time_zone: str) -> datetime:
    """``instant`` as wall-clock time in ``time_zone``."""
    return instant.astimezone(ZoneInfo(time_zone))
