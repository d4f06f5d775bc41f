"""Changing a roster by hand: an edit per learner (with a reason; it wins over later syncs),
the guard of "Update roster", submitting (locks and publishes) and reopening (audited)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core import roster as core
from vilt.core.completion import AttendanceMark, Completion
from vilt.core.errors import Conflict, NotFound, ValidationFailed
from vilt.core.roster import VersionReason
from vilt.services import audit, notify
from vilt.services.context import Actor, ServiceContext
from vilt.services.roster import current, recompute, view, write_version
from vilt.storage.models import Session
from vilt.storage.repositories import enrollments as enrollments_repo


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
    submitted = await view(tx, session)
    audit.record(
        ctx,
        tx,
        session.account_id,
        actor,
        "roster.submitted",
        "session",
        session.id,
        after={"version": submitted.version, "summary": core.summary(submitted.entries)},
    )
    await notify.roster_submitted(ctx, tx, session, version=submitted.version, entries=submitted.entries)


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
    # attendance that arrived while the roster was locked applies now (hand edits still win)
    await recompute(ctx, tx, session, actor=actor, overwrite=False, note="Reopened: " + reason.strip())
