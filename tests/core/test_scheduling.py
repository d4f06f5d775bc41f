"""Capacity and the waitlist: beyond capacity a learner waits; a freed seat goes to the first in line."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.core.support import PROPERTIES
from vilt.core.scheduling import EnrollmentStatus, admit, effective_capacity, free_seats, promotions

REGISTERED, WAITLISTED = EnrollmentStatus.REGISTERED, EnrollmentStatus.WAITLISTED


def test_learners_beyond_capacity_are_waitlisted_in_arrival_order() -> None:
    capacity = 2
    registered, waitlist = 0, 0
    statuses = []
    for _ in range(4):
        status = admit(registered, waitlist, capacity)
        statuses.append(status)
        if status == REGISTERED:
            registered += 1
        else:
            waitlist += 1
    assert statuses == [REGISTERED, REGISTERED, WAITLISTED, WAITLISTED]


def test_nobody_jumps_the_queue_even_when_a_seat_is_free() -> None:
    # a seat was just freed but the promotion has not run yet: the newcomer joins the queue
    assert admit(registered=1, waitlisted=2, capacity=2) == WAITLISTED


def test_unlimited_capacity_registers_everyone() -> None:
    assert admit(registered=10_000, waitlisted=0, capacity=None) == REGISTERED
    assert free_seats(10_000, None) is None


def test_a_lowered_capacity_leaves_no_free_seat() -> None:
    assert free_seats(registered=5, capacity=3) == 0
    assert admit(registered=5, waitlisted=0, capacity=3) == WAITLISTED
    assert promotions(["w1"], registered=5, capacity=3) == []


def test_freed_seats_promote_the_first_waitlisted_learners_in_order() -> None:
    waitlist = ["first", "second", "third"]
    assert promotions(waitlist, registered=1, capacity=2) == ["first"]
    assert promotions(waitlist, registered=0, capacity=2) == ["first", "second"]
    assert promotions(waitlist, registered=2, capacity=2) == []
    assert promotions(waitlist, registered=0, capacity=10) == waitlist


def test_raising_capacity_to_unlimited_promotes_everyone() -> None:
    assert promotions(["a", "b"], registered=50, capacity=None) == ["a", "b"]


@PROPERTIES
@given(st.lists(st.integers(), unique=True, max_size=20), st.integers(0, 30), st.none() | st.integers(1, 30))
def test_promotions_are_the_head_of_the_queue_and_never_overfill(
    waitlist: list[int], registered: int, capacity: int | None
) -> None:
    promoted = promotions(waitlist, registered, capacity)
    assert promoted == waitlist[: len(promoted)]
    if capacity is not None:
        assert registered + len(promoted) <= max(capacity, registered)
        assert len(promoted) == min(len(waitlist), max(capacity - registered, 0))


@pytest.mark.parametrize(
    ("session", "event", "expected"), [(5, 30, 5), (None, 30, 30), (None, None, None), (12, None, 12)]
)
def test_a_sessions_capacity_overrides_its_events(
    session: int | None, event: int | None, expected: int | None
) -> None:
    assert effective_capacity(session, event) == expected
