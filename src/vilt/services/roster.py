"""The roster: computed from attendance by the completion rule, edited by hand, overwritten by
"Update roster", submitted and reopened. Every change writes a version."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core import roster as core
from vilt.core.attendance import Interval, seconds_within, total_seconds
from vilt.core.completion import (
    AttendanceMark,
    Completion,
    CompletionRule,
    Outcome,
    Presence,
    Window,
    evaluate,
    non_attendee,
)
from vilt.core.errors import Conflict, NotFound, ValidationFailed
from vilt.core.roster import EntrySource, VersionReason
from vilt.services import audit
from vilt.services.context import Actor, ServiceContext
from vilt.storage.models import (
    AttendanceRecord,
    Event,
    Integration,
    RosterEntry,
    RosterVersion,
    Session,
)
from vilt.storage.repositories import attendance as attendance_repo
from vilt.storage.repositories import enrollments as enrollments_repo
from vilt.storage.repositories import roster as repo


@dataclass(frozen=True)
class RosterView:
    version: int
    entries: list[core.RosterEntry]
    submitted_at: datetime | None
    submitted_by: str | None
    update_allowed_at: datetime | None


def to_core(row: RosterEntry) -> core.RosterEntry:
    return core.RosterEntry(
        enrollment_id=str(row.enrollment_id),
        user_id=str(row.user_id),
        attendance=AttendanceMark(row.attendance),
        completion=Completion(row.completion),
        seconds=row.seconds,
        basis=row.basis,
        source=EntrySource(row.source),
        changed_by=row.changed_by,
        changed_at=row.changed_at,
        reason=row.reason,
    )


async def rule_of(tx: AsyncSession, session: Session) -> CompletionRule:
    if session.completion_rule:
        return CompletionRule.parse(session.completion_rule)
    event = await tx.get(Event, session.event_id)
    return CompletionRule.parse(event.completion_rule if event and event.completion_rule else None)


def window_of(session: Session) -> Window:
    return Window(session.starts_at, session.starts_at + timedelta(minutes=session.duration_minutes))


def presences(records: list[AttendanceRecord], window: Window) -> dict[str, Presence]:
    """Per enrollment: every matched record merged (reconnects count once), clipped to the
    scheduled window."""
    intervals: dict[str, list[Interval]] = defaultdict(list)
    polls: dict[str, tuple[int, int]] = {}
    for record in records:
        if record.enrollment_id is None:
            continue
        key = str(record.enrollment_id)
        intervals[key].extend(
            Interval(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in record.intervals
        )
        answered, asked = polls.get(key, (0, 0))
        polls[key] = (max(answered, record.polls_answered), max(asked, record.polls_asked))
    result = {}
    for key in set(intervals) | set(polls):
        found = intervals.get(key, [])
        answered, asked = polls.get(key, (0, 0))
        result[key] = Presence(
            seconds_in_window=int(seconds_within(found, window.starts_at, window.ends_at)),
            total_seconds=int(total_seconds(found)),
            polls_answered=answered,
            polls_asked=asked,
        )
    return result


async def current(tx: AsyncSession, session: Session) -> dict[str, core.RosterEntry]:
    return {str(row.enrollment_id): to_core(row) for row in await repo.entries_at(tx, session.id)}


async def write_version(
    ctx: ServiceContext,
    tx: AsyncSession,
    session: Session,
    new: dict[str, core.RosterEntry],
    *,
    reason: VersionReason,
    actor: Actor,
    note: str | None = None,
    always: bool = False,
) -> int | None:
    """Store the entries that differ from the current roster as a new version."""
    rows = {str(r.enrollment_id): r for r in await repo.entries_at(tx, session.id)}
    changed = [entry for key, entry in new.items() if key not in rows or to_core(rows[key]) != entry]
    if not changed and not always:
        return None
    number = await repo.latest_number(tx, session.id) + 1
    now = ctx.clock.now()
    tx.add(
        RosterVersion(
            account_id=session.account_id,
            session_id=session.id,
            number=number,
            reason=reason.value,
            actor=actor.label,
            note=note,
            changed_entries=len(changed),
            created_at=now,
        )
    )
    await repo.close_entries(
        tx, [rows[e.enrollment_id].id for e in changed if e.enrollment_id in rows], number
    )
    await tx.flush()
    await repo.insert_entries(
        tx,
        [
            {
                "id": uuid.uuid4(),
                "session_id": session.id,
                "enrollment_id": uuid.UUID(e.enrollment_id),
                "user_id": uuid.UUID(e.user_id),
                "valid_from": number,
                "valid_to": None,
                "attendance": e.attendance.value,
                "completion": e.completion.value,
                "seconds": e.seconds,
                "basis": e.basis,
                "source": e.source.value,
                "changed_by": e.changed_by,
                "changed_at": e.changed_at,
                "reason": e.reason,
            }
            for e in changed
        ],
    )
    return number


async def outcomes(tx: AsyncSession, session: Session) -> dict[str, Outcome | None]:
    latest = await attendance_repo.latest_import(tx, session.id)
    records = await attendance_repo.records(tx, latest.id) if latest else []
    window = window_of(session)
    rule = await rule_of(tx, session)
    integration = await tx.get(Integration, session.integration_id) if session.integration_id else None
    absent = non_attendee(bool(integration and integration.non_attendee_policy == "failed"))
    present = presences(records, window)
    enrolled = await enrollments_repo.enrolled_users(tx, session.id)
    result: dict[str, Outcome | None] = {}
    for enrollment_id in (str(e) for e in enrolled.values()):
        presence = present.get(enrollment_id)
        if presence is not None:
            result[enrollment_id] = evaluate(rule, presence, window)
        else:
            result[enrollment_id] = absent if latest is not None else None
    return result


async def recompute(
    ctx: ServiceContext,
    tx: AsyncSession,
    session: Session,
    *,
    actor: Actor,
    overwrite: bool,
    note: str | None = None,
) -> int | None:
    if session.roster_submitted_at is not None and not overwrite:
        return None  # a submitted roster is locked; syncs wait for a reopen
    enrolled = {str(e): str(u) for u, e in (await enrollments_repo.enrolled_users(tx, session.id)).items()}
    new = core.apply_sync(
        await current(tx, session),
        enrolled,
        await outcomes(tx, session),
        actor=actor.label,
        now=ctx.clock.now(),
        overwrite=overwrite,
    )
    return await write_version(
        ctx,
        tx,
        session,
        new,
        reason=VersionReason.UPDATE if overwrite else VersionReason.SYNC,
        actor=actor,
        note=note,
        always=overwrite,
    )


async def view(tx: AsyncSession, session: Session, number: int | None = None) -> RosterView:
    latest = await repo.latest_number(tx, session.id)
    if number is not None and not 1 <= number <= latest:
        raise NotFound(f"No roster version {number}; versions 1 to {latest} exist.")
    entries = {str(r.enrollment_id): to_core(r) for r in await repo.entries_at(tx, session.id, number)}
    if number is None:
        for user, enrollment in (await enrollments_repo.enrolled_users(tx, session.id)).items():
            entries.setdefault(str(enrollment), core.initial_entry(str(enrollment), str(user)))
    return RosterView(
        version=number or latest,
        entries=sorted(entries.values(), key=lambda e: e.enrollment_id),
        submitted_at=session.roster_submitted_at,
        submitted_by=session.roster_submitted_by,
        update_allowed_at=core.update_allowed_at(session.ended_at) if session.ended_at else None,
    )


async def versions(tx: AsyncSession, session: Session) -> list[RosterVersion]:
    return await repo.versions(tx, session.id)


async def compare(tx: AsyncSession, session: Session, before: int, after: int) -> list[core.EntryChange]:
    latest = await repo.latest_number(tx, session.id)
    for number in (before, after):
        if not 0 <= number <= latest:
            raise NotFound(f"No roster version {number}; versions 1 to {latest} exist.")
    old = (
        {str(r.enrollment_id): to_core(r) for r in await repo.entries_at(tx, session.id, before)}
        if before
        else {}
    )
    new = {str(r.enrollment_id): to_core(r) for r in await repo.entries_at(tx, session.id, after)}
    return core.diff(old, new)


async def edit(
    ctx: ServiceContext,
    tx: AsyncSession,
    session: Session,
    enrollment_id: uuid.UUID,
    *,
    attendance: AttendanceMark | None,
    completion: Completion | None,
    seconds: int | None,
    reason: str,
    actor: Actor,
) -> int:
    core.ensure_editable(session.roster_submitted_at)
    if not reason.strip():
        raise ValidationFailed.one("reason", "Say why the result is changed by hand.")
    if attendance is None and completion is None and seconds is None:
        raise ValidationFailed.one("completion", "Give an attendance, a completion or seconds to change.")
    enrolled = await enrollments_repo.enrolled_users(tx, session.id)
    users = {str(e): str(u) for u, e in enrolled.items()}
    key = str(enrollment_id)
    if key not in users:
        raise NotFound("No registered enrollment with that id in this session.")
    entries = await current(tx, session)
    before = entries.get(key) or core.initial_entry(key, users[key])
    after = core.manual_edit(
        before,
        attendance=attendance,
        completion=completion,
        seconds=seconds,
        reason=reason.strip(),
        actor=actor.label,
        now=ctx.clock.now(),
    )
    number = await write_version(
        ctx,
        tx,
        session,
        {key: after},
        reason=VersionReason.MANUAL,
        actor=actor,
        note=reason.strip(),
        always=True,
    )
    assert number is not None
    audit.record(
        ctx,
        tx,
        session.account_id,
        actor,
        "roster.edited",
        "enrollment",
        enrollment_id,
        before={
            "attendance": before.attendance.value,
            "completion": before.completion.value,
            "seconds": before.seconds,
        },
        after={
            "attendance": after.attendance.value,
            "completion": after.completion.value,
            "seconds": after.seconds,
        },
        reason=reason.strip(),
    )
    return number


def ensure_update_allowed(ctx: ServiceContext, session: Session, confirmed: bool) -> None:
    core.ensure_update_allowed(session.ended_at, ctx.clock.now())
    core.ensure_editable(session.roster_submitted_at)
    if not confirmed:
        raise ValidationFailed.one(
            "confirm_overwrite",
            "Updating the roster overwrites it, manual edits included; send confirm_overwrite: true.",
        )


async def submit(ctx: ServiceContext, tx: AsyncSession, session: Session, actor: Actor) -> None:
    if session.roster_submitted_at is not None:
        raise Conflict("The roster was submitted already.", submitted_at=session.roster_submitted_at)
    if session.state != "ended":
        raise Conflict("A roster can be submitted once the session has ended.", state=session.state)
    session.roster_submitted_at = ctx.clock.now()
    session.roster_submitted_by = actor.label
    audit.record(
        ctx,
        tx,
        session.account_id,
        actor,
        "roster.submitted",
        "session",
        session.id,
        after={"version": await repo.latest_number(tx, session.id)},
    )


async def reopen(ctx: ServiceContext, tx: AsyncSession, session: Session, actor: Actor, reason: str) -> None:
    if session.roster_submitted_at is None:
        raise Conflict("The roster is not submitted; there is nothing to reopen.")
    if not reason.strip():
        raise ValidationFailed.one("reason", "Say why the submitted roster is reopened.")
    audit.record(
        ctx,
        tx,
        session.account_id,
        actor,
        "roster.reopened",
        "session",
        session.id,
        before={
            "submitted_at": session.roster_submitted_at.isoformat(),
            "submitted_by": session.roster_submitted_by,
        },
        reason=reason.strip(),
    )
    session.roster_submitted_at = None
    session.roster_submitted_by = None
