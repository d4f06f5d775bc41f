"""Completion rules: how a matched learner's presence becomes completed, failed or in progress."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.core.support import PROPERTIES, T0, minutes
from vilt.core.completion import (
    AttendanceMark,
    Completion,
    CompletionRule,
    Outcome,
    Presence,
    RuleKind,
    Window,
    evaluate,
    non_attendee,
)
from vilt.core.errors import ValidationFailed

HOUR = Window(T0, T0 + minutes(60))


def window_of(duration_minutes: int) -> Window:
    return Window(T0, T0 + minutes(duration_minutes))


def present(seconds: int, *, answered: int = 0, asked: int = 0) -> Presence:
    return Presence(
        seconds_in_window=seconds, total_seconds=seconds, polls_answered=answered, polls_asked=asked
    )


def shown_percent(outcome: Outcome) -> int:
    found = re.search(r"present (\d+)%", outcome.basis)
    assert found, outcome.basis
    return int(found.group(1))


durations = st.integers(1, 1439)
percents = st.integers(1, 100)


# --- min_percent -------------------------------------------------------------------------------------


@PROPERTIES
@given(durations, percents, st.data())
def test_more_presence_never_turns_a_completion_into_a_failure(
    duration: int, percent: int, data: st.DataObject
) -> None:
    rule = CompletionRule(RuleKind.MIN_PERCENT, percent)
    window = window_of(duration)
    less = data.draw(st.integers(0, window.seconds), label="less")
    more = data.draw(st.integers(less, window.seconds), label="more")
    first, second = evaluate(rule, present(less), window), evaluate(rule, present(more), window)
    assert first.completion in (Completion.COMPLETED, Completion.FAILED)
    if first.completion == Completion.COMPLETED:
        assert second.completion == Completion.COMPLETED
    assert (first.attendance, second.attendance) == (AttendanceMark.ATTENDED, AttendanceMark.ATTENDED)
    assert (first.seconds, second.seconds) == (less, more)


@PROPERTIES
@given(durations, percents)
def test_exactly_n_percent_completes_and_one_second_less_fails(duration: int, percent: int) -> None:
    rule = CompletionRule(RuleKind.MIN_PERCENT, percent)
    window = window_of(duration)
    threshold = -(-percent * window.seconds // 100)  # the fewest whole seconds that make N%
    assert evaluate(rule, present(threshold), window).completion == Completion.COMPLETED
    assert evaluate(rule, present(threshold - 1), window).completion == Completion.FAILED
    if percent * window.seconds % 100 == 0:  # N% is a whole number of seconds: exactly N% is enough
        assert threshold * 100 == percent * window.seconds


@PROPERTIES
@given(durations, percents, st.data())
def test_the_explanation_never_claims_the_percentage_that_was_needed_when_it_failed(
    duration: int, percent: int, data: st.DataObject
) -> None:
    rule = CompletionRule(RuleKind.MIN_PERCENT, percent)
    window = window_of(duration)
    threshold = -(-percent * window.seconds // 100)
    near = st.integers(max(threshold - 90, 0), min(threshold + 90, window.seconds))
    outcome = evaluate(rule, present(data.draw(near | st.integers(0, window.seconds))), window)
    if outcome.completion == Completion.FAILED:
        assert shown_percent(outcome) < percent, outcome.basis
    else:
        assert shown_percent(outcome) >= percent, outcome.basis
    assert f"{percent}% needed" in outcome.basis


def test_eighty_percent_of_an_hour_is_48_minutes() -> None:
    rule = CompletionRule(RuleKind.MIN_PERCENT, 80)
    done = evaluate(rule, present(48 * 60), HOUR)
    assert done.completion == Completion.COMPLETED
    assert done.basis == "present 80% of the scheduled time; 80% needed"
    short = evaluate(rule, present(48 * 60 - 1), HOUR)
    assert short.completion == Completion.FAILED
    assert short.basis == "present 79% of the scheduled time; 80% needed"


# --- min_minutes, attended, all_polls_answered ------------------------------------------------------


@PROPERTIES
@given(st.integers(1, 1439))
def test_min_minutes_needs_every_second_of_the_minutes(needed: int) -> None:
    rule = CompletionRule(RuleKind.MIN_MINUTES, needed)
    window = window_of(1439)
    assert evaluate(rule, present(needed * 60), window).completion == Completion.COMPLETED
    short = evaluate(rule, present(needed * 60 - 1), window)
    assert short.completion == Completion.FAILED
    assert short.basis == f"present {needed - 1} min in the scheduled time; {needed} min needed"


@PROPERTIES
@given(st.integers(0, 24 * 3600))
def test_attended_completes_whatever_the_time(seconds: int) -> None:
    outcome = evaluate(CompletionRule(), present(seconds), HOUR)
    assert (outcome.attendance, outcome.completion, outcome.seconds) == (
        AttendanceMark.ATTENDED,
        Completion.COMPLETED,
        seconds,
    )


@PROPERTIES
@given(st.integers(0, 10), st.integers(0, 10))
def test_polls_complete_only_once_every_question_is_answered(answered: int, asked: int) -> None:
    outcome = evaluate(
        CompletionRule(RuleKind.ALL_POLLS_ANSWERED), present(600, answered=answered, asked=asked), HOUR
    )
    assert outcome.attendance == AttendanceMark.ATTENDED
    # never "failed": the next sync may bring the missing answers
    expected = Completion.COMPLETED if answered >= asked else Completion.IN_PROGRESS
    assert outcome.completion == expected
    assert outcome.basis == f"answered {answered} of {asked} poll questions"


def test_a_learner_without_a_record_is_left_alone_unless_the_policy_marks_them_failed() -> None:
    assert non_attendee(mark_failed=False) is None
    assert non_attendee(mark_failed=True) == Outcome(
        AttendanceMark.ABSENT, Completion.FAILED, 0, "no attendance reported"
    )


# --- parsing the rule ---------------------------------------------------------------------------------


def test_no_rule_means_any_attendance() -> None:
    assert CompletionRule.parse(None) == CompletionRule(RuleKind.ATTENDED, None)
    assert CompletionRule.parse({}) == CompletionRule(RuleKind.ATTENDED, None)


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ({"kind": "min_percent", "value": 80}, CompletionRule(RuleKind.MIN_PERCENT, 80)),
        ({"kind": "min_percent", "value": 100}, CompletionRule(RuleKind.MIN_PERCENT, 100)),
        ({"kind": "min_minutes", "value": 1}, CompletionRule(RuleKind.MIN_MINUTES, 1)),
        ({"kind": "min_minutes", "value": 1439}, CompletionRule(RuleKind.MIN_MINUTES, 1439)),
        ({"kind": "attended", "value": 50}, CompletionRule(RuleKind.ATTENDED, None)),
        ({"kind": "all_polls_answered"}, CompletionRule(RuleKind.ALL_POLLS_ANSWERED, None)),
    ],
)
def test_valid_rules_parse_and_round_trip(raw: dict[str, Any], rule: CompletionRule) -> None:
    assert CompletionRule.parse(raw) == rule
    assert CompletionRule.parse(rule.to_json()) == rule


@pytest.mark.parametrize(
    ("raw", "field", "reason"),
    [
        ({"kind": "percent"}, "completion_rule.kind", "Unknown rule 'percent'"),
        ({"kind": "min_percent"}, "completion_rule.value", "needs a whole number"),
        ({"kind": "min_percent", "value": "80"}, "completion_rule.value", "needs a whole number"),
        ({"kind": "min_percent", "value": 80.5}, "completion_rule.value", "needs a whole number"),
        ({"kind": "min_percent", "value": True}, "completion_rule.value", "needs a whole number"),
        ({"kind": "min_percent", "value": 0}, "completion_rule.value", "from 1 to 100"),
        ({"kind": "min_percent", "value": 101}, "completion_rule.value", "from 1 to 100"),
        ({"kind": "min_minutes", "value": 1440}, "completion_rule.value", "from 1 to 1439"),
    ],
)
def test_invalid_rules_name_the_field_and_the_reason(raw: dict[str, Any], field: str, reason: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        CompletionRule.parse(raw)
    assert [e.field for e in caught.value.errors] == [field]
    assert reason in caught.value.errors[0].reason


def test_errors_are_reported_under_the_field_name_given() -> None:
    with pytest.raises(ValidationFailed) as caught:
        CompletionRule.parse({"kind": "min_minutes", "value": 0}, field_name="sessions[2].completion_rule")
    assert [e.field for e in caught.value.errors] == ["sessions[2].completion_rule.value"]


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (CompletionRule(), "any attendance"),
        (CompletionRule(RuleKind.MIN_PERCENT, 75), "present at least 75% of the scheduled time"),
        (CompletionRule(RuleKind.MIN_MINUTES, 45), "present at least 45 minutes"),
        (CompletionRule(RuleKind.ALL_POLLS_ANSWERED), "every poll question answered"),
    ],
)
def test_rules_describe_themselves(rule: CompletionRule, text: str) -> None:
    assert rule.describe() == text
