"""Enrolling learners: capacity, the waitlist, and promotion when a seat frees up."""

from __future__ import annotations

import secrets
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.errors import Conflict, NotFound
from vilt.core.scheduling import EnrollmentStatus, admit, effective_capacity, promotions
from vilt.services import audit, registrations, users
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


async def enroll(
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
    return enrollment


async def cancel(
    ctx: ServiceContext, tx: AsyncSession, session: Session, enrollment_id: uuid.UUID, actor: Actor
) -> tuple[Enrollment, list[Enrollment]]:
    """Cancel one enrollment; returns it and whoever was promoted into the freed seat."""
    enrollment = await repo.get(tx, session.id, enrollment_id)
    if enrollment is None:
        raise NotFound("No such enrollment in this session.")
    if enrollment.status == EnrollmentStatus.CANCELED.value:
        return enrollment, []
    before = enrollment.status
    enrollment.status = EnrollmentStatus.CANCELED.value
    enrollment.updated_at = ctx.clock.now()
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
    if chosen:
        await registrations.note_change(ctx, tx, session)
    return chosen


async def session_of(tx: AsyncSession, account_id: uuid.UUID, session_id: uuid.UUID) -> Session:
    session = await events_repo.get_session(tx, account_id, session_id, for_update=True)
    if session is None:
        raise NotFound("No such session in this account.")
    return session
