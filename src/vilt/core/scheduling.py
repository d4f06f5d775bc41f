"""Enrollment, capacity and the waitlist."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import TypeVar

T = TypeVar("T")


class EnrollmentStatus(StrEnum):
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    CANCELED = "canceled"


def free_seats(registered: int, capacity: int | None) -> int | None:
    """Seats left, or None when capacity is unlimited."""
    if capacity is None:
        return None
    return max(capacity - registered, 0)


def admit(registered: int, waitlisted: int, capacity: int | None) -> EnrollmentStatus:
    """Status of a new enrollment: a seat if one is free and nobody waits before it."""
    seats = free_seats(registered, capacity)
    if seats is None or (seats > 0 and waitlisted == 0):
        return EnrollmentStatus.REGISTERED
    return EnrollmentStatus.WAITLISTED


def promotions(waitlist: Sequence[T], registered: int, capacity: int | None) -> list[T]:
    """The waitlisted enrollments (in waitlist order) that get the seats now free."""
    seats = free_seats(registered, capacity)
    if seats is None:
        return list(waitlist)
    return list(waitlist[:seats])


def effective_capacity(session_capacity: int | None, event_capacity: int | None) -> int | None:
    """A session's own capacity overrides its event's."""
    return session_capacity if session_capacity is not None else event_capacity
