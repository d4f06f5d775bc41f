"""Enrollments and the waitlist."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.storage.models import Enrollment, Session, User


async def get(tx: AsyncSession, session_id: uuid.UUID, enrollment_id: uuid.UUID) -> Enrollment | None:
    return await tx.scalar(
        select(Enrollment).where(Enrollment.session_id == session_id, Enrollment.id == enrollment_id)
    )


async def of_user(tx: AsyncSession, session_id: uuid.UUID, user_id: uuid.UUID) -> Enrollment | None:
    return await tx.scalar(
        select(Enrollment).where(Enrollment.session_id == session_id, Enrollment.user_id == user_id)
    )


async def counts(tx: AsyncSession, session_id: uuid.UUID) -> dict[str, int]:
    rows = await tx.execute(
        select(Enrollment.status, func.count())
        .where(Enrollment.session_id == session_id)
        .group_by(Enrollment.status)
    )
    return {status: int(n) for status, n in rows}


async def next_position(tx: AsyncSession, session_id: uuid.UUID) -> int:
    top = await tx.scalar(select(func.max(Enrollment.position)).where(Enrollment.session_id == session_id))
    return int(top or 0) + 1


async def waitlist(tx: AsyncSession, session_id: uuid.UUID) -> list[Enrollment]:
    query = (
        select(Enrollment)
        .where(Enrollment.session_id == session_id, Enrollment.status == "waitlisted")
        .order_by(Enrollment.position)
    )
    return list((await tx.scalars(query)).all())


async def registered(tx: AsyncSession, session_id: uuid.UUID) -> list[Enrollment]:
    query = (
        select(Enrollment)
        .where(Enrollment.session_id == session_id, Enrollment.status == "registered")
        .order_by(Enrollment.position)
    )
    return list((await tx.scalars(query)).all())


def listing(session_id: uuid.UUID, status: str | None = None) -> Select[Enrollment]:
    query = select(Enrollment).where(Enrollment.session_id == session_id)
    if status:
        query = query.where(Enrollment.status == status)
    return query.order_by(Enrollment.position, Enrollment.id)


async def identities(tx: AsyncSession, session_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """Identity bound at join (and registrant ids) → user, for matching."""
    rows = await tx.execute(
        select(Enrollment.identity, Enrollment.registrant_id, Enrollment.user_id).where(
            Enrollment.session_id == session_id
        )
    )
    found: dict[str, uuid.UUID] = {}
    for identity, registrant, user in rows:
        found[identity] = user
        if registrant:
            found[registrant] = user
    return found


async def enrolled_users(tx: AsyncSession, session_id: uuid.UUID) -> dict[uuid.UUID, uuid.UUID]:
    """User → enrollment, for every registered learner of the session."""
    rows = await tx.execute(
        select(Enrollment.user_id, Enrollment.id).where(
            Enrollment.session_id == session_id, Enrollment.status == "registered"
        )
    )
    return {user: enrollment for user, enrollment in rows}


async def transcript(tx: AsyncSession, account_id: uuid.UUID, user_id: uuid.UUID) -> list[Any]:
    query = (
        select(Enrollment, Session)
        .join(Session, Session.id == Enrollment.session_id)
        .where(Enrollment.account_id == account_id, Enrollment.user_id == user_id)
        .order_by(Session.starts_at)
    )
    return list((await tx.execute(query)).all())


async def users_of(tx: AsyncSession, session_id: uuid.UUID) -> dict[uuid.UUID, User]:
    query = (
        select(User)
        .join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.session_id == session_id)
    )
    return {u.id: u for u in (await tx.scalars(query)).all()}


async def awaiting_registration(
    tx: AsyncSession, session_id: uuid.UUID, limit: int
) -> list[tuple[Enrollment, User]]:
    """Registered learners the provider does not know yet, first come first served."""
    query = (
        select(Enrollment, User)
        .join(User, User.id == Enrollment.user_id)
        .where(
            Enrollment.session_id == session_id,
            Enrollment.status == "registered",
            Enrollment.registrant_id.is_(None),
        )
        .order_by(Enrollment.position)
        .limit(limit)
    )
    return [(e, u) for e, u in (await tx.execute(query)).all()]


async def by_identities(
    tx: AsyncSession, session_id: uuid.UUID, identities: list[str]
) -> dict[str, Enrollment]:
    rows = await tx.scalars(
        select(Enrollment).where(Enrollment.session_id == session_id, Enrollment.identity.in_(identities))
    )
    return {e.identity: e for e in rows.all()}


async def forget_registrations(tx: AsyncSession, session_id: uuid.UUID) -> None:
    """Registrations belong to one provider meeting: a new meeting needs new ones."""
    await tx.execute(
        update(Enrollment)
        .where(Enrollment.session_id == session_id, Enrollment.registrant_id.is_not(None))
        .values(registrant_id=None, join_url=None)
    )
