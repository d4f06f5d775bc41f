"""The roster: automatic syncs, manual edits that win over them, "Update roster" that overwrites,
field-level diffs between versions, and the 24 h guard before an update."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.core.support import PROPERTIES, T0
from vilt.core.completion import AttendanceMark, Completion, Outcome
from vilt.core.errors import Conflict, TooEarly
from vilt.core.roster import (
    EntryChange,
    EntrySource,
    RosterEntry,
    apply_sync,
    diff,
    ensure_editable,
    ensure_update_allowed,
    has_changes,
    initial_entry,
    manual_edit,
    summary,
    update_allowed_at,
)

ENROLLED = {"e-ana": "u-ana", "e-boris": "u-boris", "e-chen": "u-chen"}
ATTENDED = Outcome(
    AttendanceMark.ATTENDED, Completion.COMPLETED, 3000, "attended (50 min in the scheduled time)"
)
SHORT = Outcome(
    AttendanceMark.ATTENDED, Completion.FAILED, 600, "present 16% of the scheduled time; 80% needed"
)
ABSENT = Outcome(AttendanceMark.ABSENT, Completion.FAILED, 0, "no attendance reported")
LATER = T0 + timedelta(hours=1)


def sync(
    current: dict[str, RosterEntry],
    outcomes: dict[str, Outcome | None],
    *,
    overwrite: bool = False,
    now: timedelta = timedelta(0),
) -> dict[str, RosterEntry]:
    actor = "admin@example.com" if overwrite else "provider"
    return apply_sync(current, ENROLLED, outcomes, actor=actor, now=T0 + now, overwrite=overwrite)


def hand_edit(entry: RosterEntry, completion: Completion = Completion.COMPLETED) -> RosterEntry:
    return manual_edit(
        entry,
        attendance=AttendanceMark.ATTENDED,
        completion=completion,
        seconds=None,
        reason="joined by phone",
        actor="irene@example.com",
        now=LATER,
    )


def test_every_enrolled_learner_starts_with_no_attendance_imported() -> None:
    roster = sync({}, {})
    assert set(roster) == set(ENROLLED)
    for enrollment_id, entry in roster.items():
        assert entry == initial_entry(enrollment_id, ENROLLED[enrollment_id])
        assert (entry.attendance, entry.completion, entry.seconds) == (
            AttendanceMark.UNKNOWN,
            Completion.NOT_STARTED,
            0,
        )
        assert entry.source == EntrySource.INITIAL


def test_a_sync_writes_each_learners_outcome_and_who_decided_it() -> None:
    roster = sync({}, {"e-ana": ATTENDED, "e-boris": SHORT})
    ana = roster["e-ana"]
    assert (ana.attendance, ana.completion, ana.seconds, ana.basis) == (
        AttendanceMark.ATTENDED,
        Completion.COMPLETED,
        3000,
        ATTENDED.basis,
    )
    assert (ana.source, ana.changed_by, ana.changed_at) == (EntrySource.SYNC, "provider", T0)
    assert roster["e-boris"].completion == Completion.FAILED
    assert roster["e-chen"].source == EntrySource.INITIAL  # no outcome: left as it was


def test_a_learner_without_an_outcome_keeps_what_an_earlier_sync_gave() -> None:
    first = sync({}, {"e-ana": ATTENDED})
    second = sync(first, {"e-ana": None, "e-boris": SHORT}, now=timedelta(minutes=5))
    assert second["e-ana"] == first["e-ana"]


def test_a_sync_with_nothing_new_changes_nothing_not_even_the_time() -> None:
    first = sync({}, {"e-ana": ATTENDED})
    again = sync(first, {"e-ana": ATTENDED}, now=timedelta(minutes=5))
    assert again == first
    assert not has_changes(first, again)


def test_a_manual_edit_survives_every_later_automatic_sync() -> None:
    roster = sync({}, {"e-ana": SHORT, "e-boris": SHORT})
    edited = {**roster, "e-ana": hand_edit(roster["e-ana"])}
    assert edited["e-ana"].source == EntrySource.MANUAL
    for minutes_later, outcome in ((5, ABSENT), (10, ATTENDED), (15, SHORT)):
        edited = sync(edited, {"e-ana": outcome, "e-boris": outcome}, now=timedelta(minutes=minutes_later))
        ana = edited["e-ana"]
        assert (ana.completion, ana.source, ana.changed_by) == (
            Completion.COMPLETED,
            EntrySource.MANUAL,
            "irene@example.com",
        )
        assert ana.basis == "set by hand: joined by phone"
        assert edited["e-boris"].completion == outcome.completion  # the others still follow the sync


def test_update_roster_overwrites_manual_edits_and_resets_learners_without_an_outcome() -> None:
    roster = sync({}, {"e-ana": SHORT, "e-boris": ATTENDED, "e-chen": ATTENDED})
    roster = {**roster, "e-ana": hand_edit(roster["e-ana"]), "e-chen": hand_edit(roster["e-chen"])}
    updated = sync(roster, {"e-ana": SHORT, "e-boris": ATTENDED}, overwrite=True, now=timedelta(days=1))
    ana = updated["e-ana"]
    assert (ana.completion, ana.source, ana.changed_by, ana.basis) == (
        Completion.FAILED,
        EntrySource.UPDATE,
        "admin@example.com",
        SHORT.basis,
    )
    assert updated["e-boris"].source == EntrySource.UPDATE
    # Chen was edited by hand but the provider has nothing for him now: back to the start
    assert updated["e-chen"] == initial_entry("e-chen", "u-chen")


def test_automatic_syncs_resume_after_an_update_roster() -> None:
    roster = sync({}, {"e-ana": SHORT})
    roster = {**roster, "e-ana": hand_edit(roster["e-ana"])}
    roster = sync(roster, {"e-ana": SHORT}, overwrite=True, now=timedelta(days=1))
    roster = sync(roster, {"e-ana": ATTENDED}, now=timedelta(days=1, minutes=5))
    assert (roster["e-ana"].completion, roster["e-ana"].source) == (Completion.COMPLETED, EntrySource.SYNC)


def test_a_manual_edit_changes_only_what_was_given() -> None:
    entry = sync({}, {"e-ana": ATTENDED})["e-ana"]
    failed = manual_edit(
        entry,
        attendance=None,
        completion=Completion.FAILED,
        seconds=None,
        reason="left early",
        actor="irene@example.com",
        now=LATER,
    )
    assert (failed.attendance, failed.completion, failed.seconds) == (
        AttendanceMark.ATTENDED,
        Completion.FAILED,
        3000,
    )
    assert (failed.reason, failed.changed_at, failed.changed_by) == ("left early", LATER, "irene@example.com")
    zeroed = manual_edit(
        entry,
        attendance=AttendanceMark.ABSENT,
        completion=None,
        seconds=0,
        reason="was not there",
        actor="irene@example.com",
        now=LATER,
    )
    assert (zeroed.attendance, zeroed.completion, zeroed.seconds) == (
        AttendanceMark.ABSENT,
        Completion.COMPLETED,
        0,
    )


@PROPERTIES
@given(
    st.lists(
        st.dictionaries(st.sampled_from(sorted(ENROLLED)), st.sampled_from([None, ATTENDED, SHORT, ABSENT])),
        max_size=6,
    )
)
def test_no_sequence_of_automatic_syncs_touches_a_manual_edit(
    rounds: list[dict[str, Outcome | None]],
) -> None:
    roster = sync({}, {})
    edited = hand_edit(roster["e-boris"], Completion.IN_PROGRESS)
    roster = {**roster, "e-boris": edited}
    for number, outcomes in enumerate(rounds):
        roster = sync(roster, outcomes, now=timedelta(minutes=number))
        assert roster["e-boris"] == edited
        for enrollment_id, outcome in outcomes.items():
            if outcome is not None and enrollment_id != "e-boris":
                assert roster[enrollment_id].outcome_fields == (
                    outcome.attendance,
                    outcome.completion,
                    outcome.seconds,
                )


# --- diff ---------------------------------------------------------------------------------------------


def test_diff_lists_each_changed_field_with_before_and_after() -> None:
    before = sync({}, {})
    after = sync(before, {"e-ana": ATTENDED, "e-boris": ABSENT})
    assert diff(before, after) == [
        EntryChange("e-ana", "u-ana", "attendance", "unknown", "attended"),
        EntryChange("e-ana", "u-ana", "completion", "not_started", "completed"),
        EntryChange("e-ana", "u-ana", "seconds", 0, 3000),
        EntryChange("e-ana", "u-ana", "source", "initial", "sync"),
        EntryChange("e-boris", "u-boris", "attendance", "unknown", "absent"),
        EntryChange("e-boris", "u-boris", "completion", "not_started", "failed"),
        EntryChange("e-boris", "u-boris", "source", "initial", "sync"),
    ]
    assert has_changes(before, after)


def test_diff_of_a_manual_edit_shows_only_what_the_instructor_changed() -> None:
    before = sync({}, {"e-ana": SHORT})
    after = {**before, "e-ana": hand_edit(before["e-ana"])}
    assert diff(before, after) == [
        EntryChange("e-ana", "u-ana", "completion", "failed", "completed"),
        EntryChange("e-ana", "u-ana", "source", "sync", "manual"),
    ]


def test_diff_shows_learners_who_joined_or_left_the_roster() -> None:
    before = {"e-ana": initial_entry("e-ana", "u-ana")}
    after = {"e-boris": initial_entry("e-boris", "u-boris")}
    changes = diff(before, after)
    assert {(c.enrollment_id, c.field, c.before, c.after) for c in changes} == {
        ("e-ana", "attendance", "unknown", None),
        ("e-ana", "completion", "not_started", None),
        ("e-ana", "seconds", 0, None),
        ("e-ana", "source", "initial", None),
        ("e-boris", "attendance", None, "unknown"),
        ("e-boris", "completion", None, "not_started"),
        ("e-boris", "seconds", None, 0),
        ("e-boris", "source", None, "initial"),
    }
    assert diff(after, after) == []


# --- the update guard, locking, summary -------------------------------------------------------------


def test_update_roster_is_refused_until_24_hours_after_the_end() -> None:
    ended_at = T0 + timedelta(hours=1, minutes=40)
    allowed_at = ended_at + timedelta(hours=24)
    assert update_allowed_at(ended_at) == allowed_at
    for now in (ended_at, ended_at + timedelta(hours=23, minutes=59, seconds=59)):
        with pytest.raises(TooEarly) as caught:
            ensure_update_allowed(ended_at, now)
        assert caught.value.status == 409
        assert caught.value.at == allowed_at
        assert caught.value.at_field == "allowed_at"
        assert caught.value.extra == {"allowed_at": allowed_at}
    ensure_update_allowed(ended_at, allowed_at)  # exactly 24 h later: allowed
    ensure_update_allowed(ended_at, allowed_at + timedelta(days=30))


def test_a_session_that_has_not_ended_cannot_have_its_roster_updated() -> None:
    with pytest.raises(Conflict) as caught:
        ensure_update_allowed(None, T0)
    assert not isinstance(caught.value, TooEarly)


def test_a_submitted_roster_is_locked() -> None:
    ensure_editable(None)
    with pytest.raises(Conflict) as caught:
        ensure_editable(LATER)
    assert caught.value.extra == {"submitted_at": LATER}


def test_summary_counts_learners_by_completion() -> None:
    roster = sync({}, {"e-ana": ATTENDED, "e-boris": SHORT})
    assert summary(roster.values()) == {"completed": 1, "failed": 1, "not_started": 1}
