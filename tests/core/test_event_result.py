"""A learner's result for a whole event: one of the alternatives, or N of M parts of a series."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.core.support import PROPERTIES, T0, minutes
from vilt.core.completion import Completion
from vilt.core.event_result import Part, combine
from vilt.core.sessions import SessionMode

C = Completion


def part(
    n: int, state: str = "ended", completion: Completion | None = None, status: str | None = "registered"
) -> Part:
    return Part(f"s{n}", T0 + minutes(60 * 24 * n), state, status, completion)


def test_series_needs_every_part_by_default() -> None:
    parts = [part(1, completion=C.COMPLETED), part(2, completion=C.COMPLETED), part(3, "scheduled")]
    result = combine(SessionMode.SERIES, parts)
    assert (result.completion, result.completed_parts, result.required_parts, result.total_parts) == (
        C.IN_PROGRESS,
        2,
        3,
        3,
    )
    done = combine(SessionMode.SERIES, [*parts[:2], part(3, completion=C.COMPLETED)])
    assert done.completion == C.COMPLETED
    assert done.basis == "3 of 3 parts completed; 3 needed"


def test_series_n_of_m_completes_early_and_fails_when_too_few_parts_remain() -> None:
    two_of_three = [part(1, completion=C.COMPLETED), part(2, completion=C.COMPLETED), part(3, "scheduled")]
    assert combine(SessionMode.SERIES, two_of_three, required=2).completion == C.COMPLETED
    missed = [part(1, completion=C.FAILED), part(2, completion=C.FAILED), part(3, "scheduled")]
    assert combine(SessionMode.SERIES, missed, required=2).completion == C.FAILED
    assert "too few parts remain" in combine(SessionMode.SERIES, missed, required=2).basis
    one_missed = [part(1, completion=C.FAILED), part(2, "scheduled"), part(3, "scheduled")]
    assert combine(SessionMode.SERIES, one_missed, required=2).completion == C.IN_PROGRESS


def test_canceled_parts_do_not_count_and_n_is_capped_at_what_remains() -> None:
    parts = [part(1, completion=C.COMPLETED), part(2, "canceled"), part(3, "canceled")]
    result = combine(SessionMode.SERIES, parts, required=3)
    assert (result.completion, result.required_parts, result.total_parts) == (C.COMPLETED, 1, 1)


def test_series_part_still_waiting_for_polls_is_not_a_failure_yet() -> None:
    parts = [part(1, completion=C.COMPLETED), part(2, completion=C.IN_PROGRESS)]
    assert combine(SessionMode.SERIES, parts).completion == C.IN_PROGRESS


def test_series_nothing_started_and_empty_series() -> None:
    assert combine(SessionMode.SERIES, [part(1, "scheduled")]).completion == C.NOT_STARTED
    assert combine(SessionMode.SERIES, []).completion == C.NOT_STARTED


def test_a_learner_in_two_alternative_sessions_completes_with_either() -> None:
    failed_first = [part(1, completion=C.FAILED), part(2, completion=C.COMPLETED)]
    result = combine(SessionMode.ALTERNATIVE, failed_first)
    assert (result.completion, result.completed_parts, result.total_parts) == (C.COMPLETED, 1, 2)
    assert "2026-03-04" in result.basis
    waiting = [part(1, completion=C.FAILED), part(2, "scheduled")]
    assert combine(SessionMode.ALTERNATIVE, waiting).completion == C.IN_PROGRESS
    both_failed = [part(1, completion=C.FAILED), part(2, completion=C.FAILED)]
    assert combine(SessionMode.ALTERNATIVE, both_failed).completion == C.FAILED


def test_alternative_ignores_sessions_the_learner_is_not_in_or_left() -> None:
    parts = [part(1, completion=C.FAILED), part(2, status=None), part(3, "scheduled", status="canceled")]
    result = combine(SessionMode.ALTERNATIVE, parts)
    assert (result.completion, result.total_parts) == (C.FAILED, 1)
    assert combine(SessionMode.ALTERNATIVE, [part(1, status="canceled")]).completion == C.NOT_STARTED


outcomes = st.sampled_from([C.COMPLETED, C.FAILED, C.IN_PROGRESS, C.NOT_STARTED, None])
states = st.sampled_from(["scheduled", "live", "ended", "canceled"])


@PROPERTIES
@given(st.lists(st.tuples(states, outcomes), max_size=8), st.integers(1, 10))
def test_series_result_agrees_with_the_counts(
    raw: list[tuple[str, Completion | None]], required: int
) -> None:
    parts = [
        part(i, state, completion if state == "ended" else None) for i, (state, completion) in enumerate(raw)
    ]
    result = combine(SessionMode.SERIES, parts, required=required)
    counted = [p for p in parts if p.session_state != "canceled"]
    assert result.total_parts == len(counted)
    assert result.completed_parts == sum(p.completion == C.COMPLETED for p in counted)
    assert result.required_parts == min(required, len(counted))
    assert (result.completion == C.COMPLETED) == (
        bool(counted) and result.completed_parts >= result.required_parts
    )


@PROPERTIES
@given(st.lists(st.tuples(states, outcomes), min_size=1, max_size=6), st.integers(0, 5), st.integers(1, 6))
def test_completing_one_more_part_never_worsens_a_series(
    raw: list[tuple[str, Completion | None]], index: int, required: int
) -> None:
    parts = [
        part(i, state, completion if state == "ended" else None) for i, (state, completion) in enumerate(raw)
    ]
    index %= len(parts)
    if parts[index].session_state == "canceled":
        return
    better = list(parts)
    better[index] = part(index, "ended", C.COMPLETED)
    rank = {C.FAILED: 0, C.NOT_STARTED: 1, C.IN_PROGRESS: 2, C.COMPLETED: 3}
    before = combine(SessionMode.SERIES, parts, required=required).completion
    after = combine(SessionMode.SERIES, better, required=required).completion
    assert rank[after] >= rank[before]
