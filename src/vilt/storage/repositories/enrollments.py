"""Enrollments and the waitlist."""

from __future__ import annotations

import uuid
from collections.abc import Collection
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


_COLUMNS = Enrollment.__table__.c
"""Plain columns: reading 10,000 pairs through Core skips the ORM's per-row work."""


async def identities(tx: AsyncSession, session_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """Identity bound at join (and registrant ids) → user, for matching."""
    rows = await tx.execute(
        select(_COLUMNS.identity, _COLUMNS.registrant_id, _COLUMNS.user_id).where(
            _COLUMNS.session_id == session_id
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
        select(_COLUMNS.user_id, _COLUMNS.id).where(
            _COLUMNS.session_id == session_id, _COLUMNS.status == "registered"
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


async def of_users(
    tx: AsyncSession, session_id: uuid.UUID, user_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Enrollment]:
    """The enrollments (any status) of these users in one session."""
    found: dict[uuid.UUID, Enrollment] = {}
    items = list(user_ids)
    for start in range(0, len(items), 900):
        query = select(Enrollment).where(
            Enrollment.session_id == session_id, Enrollment.user_id.in_(items[start : start + 900])
        )
        found.update({e.user_id: e for e in (await tx.scalars(query)).all()})
    return found


async def series_members(
    tx: AsyncSession, event_id: uuid.UUID, *, exclude_session: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """Users enrolled (registered or waitlisted) in any part of an event, in enrollment order."""
    query = (
        select(Enrollment.user_id, func.min(Enrollment.created_at))
        .join(Session, Session.id == Enrollment.session_id)
        .where(Session.event_id == event_id, Enrollment.status != "canceled")
        .group_by(Enrollment.user_id)
        .order_by(func.min(Enrollment.created_at), Enrollment.user_id)
    )
    if exclude_session is not None:
        query = query.where(Enrollment.session_id != exclude_session)
    return [user for user, _ in (await tx.execute(query)).all()]


async def of_event_user(tx: AsyncSession, event_id: uuid.UUID, user_id: uuid.UUID) -> list[Any]:
    """(enrollment, session) for one learner across an event's sessions."""
    query = (
        select(Enrollment, Session)
        .join(Session, Session.id == Enrollment.session_id)
        .where(Session.event_id == event_id, Enrollment.user_id == user_id)
        .order_by(Session.starts_at)
    )
    return list((await tx.execute(query)).all())


async def of_event(tx: AsyncSession, event_id: uuid.UUID) -> list[Any]:
    """(enrollment, session) for every enrollment in an event's sessions."""
    query = (
        select(Enrollment, Session)
        .join(Session, Session.id == Enrollment.session_id)
        .where(Session.event_id == event_id)
        .order_by(Session.starts_at, Enrollment.position)
    )
    return list((await tx.execute(query)).all())


async def ids_of_session(tx: AsyncSession, session_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await tx.scalars(select(Enrollment.id).where(Enrollment.session_id == session_id))
    return list(rows.all())


async def matching_maps(
    tx: AsyncSession, session_id: uuid.UUID
) -> tuple[dict[str, uuid.UUID], dict[uuid.UUID, uuid.UUID]]:
    """In one read of the session's enrollments: identity bound at join (and registrant id) →
    user, and user → enrollment of every registered learner."""
    rows = await tx.execute(
        select(
            _COLUMNS.identity, _COLUMNS.registrant_id, _COLUMNS.user_id, _COLUMNS.id, _COLUMNS.status
        ).where(_COLUMNS.session_id == session_id)
    )
    identities: dict[str, uuid.UUID] = {}
    registered: dict[uuid.UUID, uuid.UUID] = {}
    for identity, registrant, user, enrollment, status in rows:
        identities[identity] = user
        if registrant:
            identities[registrant] = user
        if status == "registered":
            registered[user] = enrollment
    return identities, registered


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
    """Registrations belong to one provider meeting: a new meeting needs new ones, and the old
    meeting's registrations waiting to be canceled went with it."""
    await tx.execute(
        update(Enrollment)
        .where(
            Enrollment.session_id == session_id,
            (Enrollment.registrant_id.is_not(None)) | (Enrollment.registrant_to_cancel.is_not(None)),
        )
        .values(registrant_id=None, join_url=None, registrant_to_cancel=None)
    )


async def awaiting_cancel(tx: AsyncSession, session_id: uuid.UUID, limit: int) -> list[tuple[str, str]]:
    """(registrant id, email) of registrations whose enrollment was canceled, oldest first."""
    query = (
        select(_COLUMNS.registrant_to_cancel, User.email)
        .join(User, User.id == _COLUMNS.user_id)
        .where(_COLUMNS.session_id == session_id, _COLUMNS.registrant_to_cancel.is_not(None))
        .order_by(_COLUMNS.position)
        .limit(limit)
    )
    return [(str(registrant), str(email)) for registrant, email in (await tx.execute(query)).all()]


async def canceled_on_provider(tx: AsyncSession, session_id: uuid.UUID, registrant_ids: list[str]) -> None:
    """The provider canceled these registrations: nothing is left to cancel for them."""
    for start in range(0, len(registrant_ids), 900):
        await tx.execute(
            update(Enrollment)
            .where(
                Enrollment.session_id == session_id,
                Enrollment.registrant_to_cancel.in_(registrant_ids[start : start + 900]),
            )
            .values(registrant_to_cancel=None)
        )


async def has_cancels_waiting(tx: AsyncSession, session_id: uuid.UUID) -> bool:
    found = await tx.scalar(
        select(_COLUMNS.id)
        .where(_COLUMNS.session_id == session_id, _COLUMNS.registrant_to_cancel.is_not(None))
        .limit(1)
    )
    return found is not None
