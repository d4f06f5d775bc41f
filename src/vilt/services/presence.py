"""Presence per learner: every matched record of an import merged (reconnects count once) and
clipped to the scheduled window, ready for the completion rule."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vilt.core.attendance import Interval, clip, merge_intervals
from vilt.core.completion import Presence, Window

PresenceRow = tuple[uuid.UUID | None, Sequence[Interval], int, int]
"""(enrollment, intervals, poll questions answered, asked) of one matched record."""


@dataclass(frozen=True)
class FreshImport:
    """An import just written, with its matched records still in memory."""

    import_id: uuid.UUID
    rows: list[PresenceRow]


def parse_rows(rows: Iterable[Any]) -> list[PresenceRow]:
    """Stored records (intervals as ISO pairs) as presence rows."""
    return [
        (
            enrollment,
            [Interval(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in spans],
            answered,
            asked,
        )
        for enrollment, spans, answered, asked in rows
    ]


def presences(rows: Iterable[PresenceRow], window: Window) -> dict[str, Presence]:
    """Per enrollment: every matched record merged (reconnects count once), clipped to the
    scheduled window."""
    intervals: dict[str, list[Interval]] = defaultdict(list)
    polls: dict[str, tuple[int, int]] = {}
    for enrollment_id, spans, polls_answered, polls_asked in rows:
        if enrollment_id is None:
            continue
        key = str(enrollment_id)
        intervals[key].extend(spans)
        answered, asked = polls.get(key, (0, 0))
        polls[key] = (max(answered, polls_answered), max(asked, polls_asked))
    result = {}
    for key, (answered, asked) in polls.items():
        merged = merge_intervals(intervals.get(key, ()))  # once: reconnects count once
        result[key] = Presence(
            seconds_in_window=int(sum(i.seconds for i in clip(merged, window.starts_at, window.ends_at))),
            total_seconds=int(sum(i.seconds for i in merged)),
            polls_answered=answered,
            polls_asked=asked,
        )
    return result
