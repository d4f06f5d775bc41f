"""Attendance intervals: reconnects are merged and never double-counted; time is clipped to the window."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.core.support import PROPERTIES, T0, at, minutes
from vilt.core.attendance import (
    Engagement,
    Interval,
    ParticipantReport,
    clip,
    combine_reports,
    merge_intervals,
    seconds_within,
    total_seconds,
)

SPAN = 600
"""Seconds in which random intervals fall: small, so they overlap and touch often."""


@st.composite
def whole_second_intervals(draw: st.DrawFn) -> Interval:
    start = draw(st.integers(0, SPAN))
    length = draw(st.integers(0, SPAN // 3))
    return Interval(at(start), at(start + length))


interval_lists = st.lists(whole_second_intervals(), max_size=12)

windows = st.tuples(st.integers(-50, SPAN + 50), st.integers(0, SPAN + 100)).map(
    lambda pair: (at(pair[0]), at(pair[0] + pair[1]))
)


@st.composite
def precise_intervals(draw: st.DrawFn) -> Interval:
    """Anywhere in a year, to the microsecond."""
    start = draw(st.datetimes(datetime(2026, 1, 1), datetime(2027, 1, 1), timezones=st.just(UTC)))
    length = draw(st.timedeltas(timedelta(0), timedelta(hours=30)))
    return Interval(start, start + length)


def covered(intervals: Iterable[Interval]) -> set[int]:
    """The instants covered, as whole-second cells ``[k, k+1)`` after T0.

    Exact for half-open intervals whose ends fall on whole seconds, which is what the strategies draw.
    """
    cells: set[int] = set()
    for interval in intervals:
        first = int((interval.start - T0).total_seconds())
        last = int((interval.end - T0).total_seconds())
        cells.update(range(first, last))
    return cells


# --- merge_intervals ---------------------------------------------------------------------------------


@PROPERTIES
@given(interval_lists)
def test_merged_intervals_are_sorted_and_separated_by_gaps(intervals: list[Interval]) -> None:
    merged = merge_intervals(intervals)
    assert merged == sorted(merged)
    for earlier, later in pairwise(merged):
        # touching intervals ([9:00, 9:10) and [9:10, 9:20)) are one presence, so a gap must remain
        assert earlier.end < later.start


@PROPERTIES
@given(interval_lists)
def test_merging_covers_exactly_the_same_instants(intervals: list[Interval]) -> None:
    assert covered(merge_intervals(intervals)) == covered(intervals)


@PROPERTIES
@given(interval_lists)
def test_merging_is_idempotent_and_ignores_the_order_of_reports(intervals: list[Interval]) -> None:
    merged = merge_intervals(intervals)
    assert merge_intervals(merged) == merged
    assert merge_intervals(reversed(intervals)) == merged


@PROPERTIES
@given(st.lists(precise_intervals(), max_size=10))
def test_merging_to_the_microsecond_never_loses_or_invents_time(intervals: list[Interval]) -> None:
    merged = merge_intervals(intervals)
    for earlier, later in pairwise(merged):
        assert earlier.end < later.start
    for interval in intervals:  # every reported interval lies inside one merged interval
        assert any(m.start <= interval.start and interval.end <= m.end for m in merged)
    for m in merged:  # and every merged interval starts and ends where a reported one does
        assert any(i.start == m.start for i in intervals)
        assert any(i.end == m.end for i in intervals)
    merged_length = sum((m.end - m.start for m in merged), timedelta())
    reported_length = sum((i.end - i.start for i in intervals), timedelta())
    assert max((i.end - i.start for i in intervals), default=timedelta()) <= merged_length <= reported_length
    assert total_seconds(intervals) == pytest.approx(merged_length.total_seconds(), abs=1e-6)


# --- total_seconds: reconnects -----------------------------------------------------------------------


@PROPERTIES
@given(interval_lists)
def test_total_seconds_counts_every_covered_second_once(intervals: list[Interval]) -> None:
    assert total_seconds(intervals) == len(covered(intervals))
    assert total_seconds(intervals) <= sum(i.seconds for i in intervals)


@PROPERTIES
@given(interval_lists, interval_lists)
def test_reported_twice_or_reconnecting_inside_a_presence_adds_nothing(
    intervals: list[Interval], more: list[Interval]
) -> None:
    assert total_seconds(intervals + intervals) == total_seconds(intervals)
    # a second device or a reconnect that falls inside time already present
    inside = [piece for m in merge_intervals(intervals) for piece in clip(more, m.start, m.end)]
    assert total_seconds(intervals + inside) == total_seconds(intervals)


@PROPERTIES
@given(interval_lists)
def test_a_participant_report_totals_its_merged_intervals(intervals: list[Interval]) -> None:
    report = ParticipantReport("p1", intervals=tuple(intervals))
    assert report.total_seconds == len(covered(intervals))


def test_a_reconnect_that_overlaps_is_counted_once() -> None:
    first = Interval(T0, T0 + minutes(30))
    reconnect = Interval(T0 + minutes(20), T0 + minutes(50))
    assert total_seconds([first, reconnect]) == 50 * 60
    assert merge_intervals([reconnect, first]) == [Interval(T0, T0 + minutes(50))]


def test_touching_segments_become_one_presence_and_a_gap_stays_a_gap() -> None:
    segments = [
        Interval(T0 + minutes(10), T0 + minutes(20)),
        Interval(T0, T0 + minutes(10)),
        Interval(T0 + minutes(25), T0 + minutes(30)),
    ]
    assert merge_intervals(segments) == [
        Interval(T0, T0 + minutes(20)),
        Interval(T0 + minutes(25), T0 + minutes(30)),
    ]
    assert total_seconds(segments) == 25 * 60


def test_an_interval_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="cannot end before it starts"):
        Interval(T0, T0 - timedelta(seconds=1))
    assert Interval(T0, T0).seconds == 0


# --- clip and seconds_within ------------------------------------------------------------------------


@PROPERTIES
@given(interval_lists, windows)
def test_clipping_stays_inside_the_window_and_keeps_what_was_inside(
    intervals: list[Interval], window: tuple[datetime, datetime]
) -> None:
    start, end = window
    clipped = clip(intervals, start, end)
    for piece in clipped:
        assert start <= piece.start < piece.end <= end
    inside = set(range(int((start - T0).total_seconds()), int((end - T0).total_seconds())))
    assert covered(clipped) == covered(intervals) & inside


@PROPERTIES
@given(interval_lists, windows)
def test_time_within_the_window_is_bounded_by_the_window_and_by_the_total(
    intervals: list[Interval], window: tuple[datetime, datetime]
) -> None:
    start, end = window
    within = seconds_within(intervals, start, end)
    assert 0 <= within <= (end - start).total_seconds()
    assert within <= total_seconds(intervals)
    inside = set(range(int((start - T0).total_seconds()), int((end - T0).total_seconds())))
    assert within == len(covered(intervals) & inside)


def test_time_before_the_start_and_after_the_end_does_not_count() -> None:
    early_and_late = [
        Interval(T0 - minutes(15), T0 + minutes(10)),  # joined 15 min early
        Interval(T0 + minutes(5), T0 + minutes(20)),  # a second device, overlapping
        Interval(T0 + minutes(50), T0 + minutes(90)),  # stayed 30 min after the end
    ]
    assert seconds_within(early_and_late, T0, T0 + minutes(60)) == 30 * 60
    assert total_seconds(early_and_late) == 75 * 60


# --- combine_reports --------------------------------------------------------------------------------


def test_rows_of_one_person_combine_into_one_report() -> None:
    rows = [
        ParticipantReport(
            "zoom-1",
            display_name="",
            email=None,
            intervals=(Interval(T0, T0 + minutes(30)),),
            engagement=Engagement(polls_answered=1, polls_asked=3, chats=2, talks=1),
        ),
        ParticipantReport(
            "zoom-1b",
            display_name="Ana Lima",
            email="ana@example.com",
            bound_identity="reg-7",
            intervals=(Interval(T0 + minutes(20), T0 + minutes(45)),),
            engagement=Engagement(polls_answered=3, polls_asked=3, chats=1, talks=0),
        ),
    ]
    combined = combine_reports(rows)
    assert combined.participant_key == "zoom-1"
    assert combined.display_name == "Ana Lima"
    assert combined.email == "ana@example.com"
    assert combined.bound_identity == "reg-7"
    assert combined.intervals == (Interval(T0, T0 + minutes(45)),)
    assert combined.total_seconds == 45 * 60
    # polls are a running count per person; chats and talks are per row
    assert combined.engagement == Engagement(polls_answered=3, polls_asked=3, chats=3, talks=1)
