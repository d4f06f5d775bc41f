"""Enrolling learners: capacity, the waitlist, and promotion when a seat frees up.

In a ``series`` event an enrollment covers every part: enrolling in one part enrolls in every
part that has not ended or been canceled, a part added later takes in the series' learners, and
canceling one part cancels the learner's open parts (each part keeps its own capacity and
waitlist). Walk-ins (people the provider saw who were not enrolled) are added by attendance when
the integration's policy says so.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.errors import Conflict, NotFound
from vilt.core.scheduling import EnrollmentStatus, admit, effective_capacity, promotions
from vilt.core.sessions import SessionMode, SessionState
from vilt.services import audit, notify, registrations, users
from vilt.services.context import Actor, ServiceContext
from vilt.storage.models import Enrollment, Event, Session
from vilt.storage.repositories import enrollments as repo
from vilt.storage.repositories import events as events_repo


def new_identity() -> str:
    """What the provider will know this learner by; opaque, so it leaks nothing."""
    return f"v{secrets.token_hex(8)}"


async def capacity_of(tx: AsyncSession, session: Session) -> int | None:
    event = await tx.get(Event, session.event_id)
    return effective_capacity(session.capacity, event.capacity if event else None)


async def open_parts(tx: AsyncSession, session: Session) -> list[Session]:
    """The other parts of a series a learner can still be enrolled in; none for an alternative."""
    event = await tx.get(Event, session.event_id)
    if event is None or event.session_mode != SessionMode.SERIES.value:
        return []
    return [
        part
        for part in await events_repo.sessions_of_event(tx, session.event_id)
        if part.id != session.id and part.state in (SessionState.SCHEDULED.value, SessionState.LIVE.value)
    ]


async def enroll(
    ctx: ServiceContext, tx: AsyncSession, session: Session, user_id: uuid.UUID, actor: Actor
) -> Enrollment:
    """Enroll in ``session`` (and, in a series, in every open part); the answer is this part's."""
    enrollment = await _enroll_one(ctx, tx, session, user_id, actor)
    for part in await open_parts(tx, session):
        await _enroll_one(ctx, tx, part, user_id, actor)
    return enrollment


async def join_series(ctx: ServiceContext, tx: AsyncSession, session: Session, actor: Actor) -> int:
    """A new part of a series takes in everyone enrolled in the series; returns how many."""
    event = await tx.get(Event, session.event_id)
    if event is None or event.session_mode != SessionMode.SERIES.value:
        return 0
    members = await repo.series_members(tx, event.id, exclude_session=session.id)
    for user_id in members:
        await _enroll_one(ctx, tx, session, user_id, actor)
    return len(members)


async def _enroll_one(
    ctx: ServiceContext, tx: AsyncSession, session: Session, user_id: uuid.UUID, actor: Actor
) -> Enrollment:
    user = await users.get(tx, session.account_id, user_id)
    if session.state in ("ended", "canceled"):
        raise Conflict(f"The session is {session.state}; nobody can enroll any more.", state=session.state)
    existing = await repo.of_user(tx, session.id, user.id)
    if existing is not None and existing.status != EnrollmentStatus.CANCELED.value:
        return existing  # enrolling twice changes nothing
    counts = await repo.counts(tx, session.id)
    status = admit(
        counts.get(EnrollmentStatus.REGISTERED.value, 0),
        counts.get(EnrollmentStatus.WAITLISTED.value, 0),
        await capacity_of(tx, session),
    )
    now = ctx.clock.now()
    position = await repo.next_position(tx, session.id)
    if existing is not None:
        existing.status, existing.position, existing.updated_at = status.value, position, now
        enrollment = existing
    else:
        enrollment = Enrollment(
            account_id=session.account_id,
            session_id=session.id,
            user_id=user.id,
            status=status.value,
            position=position,
            identity=new_identity(),
            created_at=now,
            updated_at=now,
        )
        tx.add(enrollment)
    await tx.flush()
    if status == EnrollmentStatus.REGISTERED:
        await registrations.note_change(ctx, tx, session)
    audit.record(
        ctx,
        tx,
        session.account_id,
        actor,
        "enrollment.created",
        "enrollment",
        enrollment.id,
        after={"session": str(session.id), "user": str(user.id), "status": status.value},
    )
    await notify.enrollment_updated(ctx, tx, enrollment, "created")
    return enrollment


async def cancel(
    ctx: ServiceContext, tx: AsyncSession, session: Session, enrollment_id: uuid.UUID, actor: Actor
) -> tuple[Enrollment, list[Enrollment]]:
    """Cancel one enrollment (in a series, the learner's open parts too); returns it and whoever
    was promoted into the freed seats."""
    enrollment = await repo.get(tx, session.id, enrollment_id)
    if enrollment is None:
        raise NotFound("No such enrollment in this session.")
    canceled, promoted = await _cancel_one(ctx, tx, session, enrollment, actor)
    for part in await open_parts(tx, session):
        other = await repo.of_user(tx, part.id, enrollment.user_id)
        if other is not None:
            promoted += (await _cancel_one(ctx, tx, part, other, actor))[1]
    return canceled, promoted


async def _cancel_one(
    ctx: ServiceContext, tx: AsyncSession, session: Session, enrollment: Enrollment, actor: Actor
) -> tuple[Enrollment, list[Enrollment]]:
    if enrollment.status == EnrollmentStatus.CANCELED.value:
        return enrollment, []
    before = enrollment.status
    enrollment.status = EnrollmentStatus.CANCELED.value
    enrollment.updated_at = ctx.clock.now()
    # the personal join URL must stop admitting them: the worker cancels it on the provider
    registrations.note_cancel(ctx, session, enrollment)
    await tx.flush()
    audit.record(
        ctx,
        tx,
        session.account_id,
        actor,
        "enrollment.canceled",
        "enrollment",
        enrollment.id,
        before={"status": before},
        after={"status": enrollment.status},
    )
    await notify.enrollment_updated(ctx, tx, enrollment, "canceled")
    promoted = await promote(ctx, tx, session, actor)
    return enrollment, promoted


async def promote(ctx: ServiceContext, tx: AsyncSession, session: Session, actor: Actor) -> list[Enrollment]:
    """Give free seats to the waitlist, first come first served."""
    counts = await repo.counts(tx, session.id)
    chosen = promotions(
        await repo.waitlist(tx, session.id),
        counts.get(EnrollmentStatus.REGISTERED.value, 0),
        await capacity_of(tx, session),
    )
    now = ctx.clock.now()
    for enrollment in chosen:
        enrollment.status = EnrollmentStatus.REGISTERED.value
        enrollment.updated_at = now
        audit.record(
            ctx,
            tx,
            session.account_id,
            actor,
            "enrollment.promoted",
            "enrollment",
            enrollment.id,
            before={"status": "waitlisted"},
            after={"status": "registered"},
        )
    await tx.flush()
    for enrollment in chosen:
        await notify.enrollment_updated(ctx, tx, enrollment, "promoted")
    if chosen:
        await registrations.note_change(ctx, tx, session)
    return chosen


async def add_walk_ins(
    ctx: ServiceContext, tx: AsyncSession, session: Session, user_ids: Collection[uuid.UUID], actor: Actor
) -> dict[uuid.UUID, uuid.UUID]:
    """Register people who attended without being enrolled (the integration's walk-in policy),
    beyond capacity if need be; returns user → enrollment."""
    if not user_ids:
        return {}
    existing = await repo.of_users(tx, session.id, user_ids)
    now = ctx.clock.now()
    position = await repo.next_position(tx, session.id)
    added: dict[uuid.UUID, Enrollment] = {}
    for user_id in sorted(user_ids):
        enrollment = existing.get(user_id)
        before = enrollment.status if enrollment is not None else None
        if enrollment is None:
            enrollment = Enrollment(
                id=uuid.uuid4(),
                account_id=session.account_id,
                session_id=session.id,
                user_id=user_id,
                position=position,
                identity=new_identity(),
                created_at=now,
            )
            tx.add(enrollment)
        # a waitlisted or canceled learner who came anyway is a walk-in too
        enrollment.status = EnrollmentStatus.REGISTERED.value
        enrollment.walk_in = True
        enrollment.position = position
        enrollment.updated_at = now
        position += 1
        added[user_id] = enrollment
        audit.record(
            ctx,
            tx,
            session.account_id,
            actor,
            "enrollment.walk_in",
            "enrollment",
            enrollment.id,
            before={"status": before} if before else None,
            after={"session": str(session.id), "user": str(user_id), "status": "registered"},
        )
    await tx.flush()
    for enrollment in added.values():
        await notify.enrollment_updated(ctx, tx, enrollment, "walk_in")
    return {user_id: enrollment.id for user_id, enrollment in added.items()}


async def session_of(tx: AsyncSession, account_id: uuid.UUID, session_id: uuid.UUID) -> Session:
    session = await events_repo.get_session(tx, account_id, session_id, for_update=True)
    if session is None:
        raise NotFound("No such session in this account.")
    return session
