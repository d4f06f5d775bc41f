"""Claiming due rows for the worker: leases that expire, ``SKIP LOCKED`` on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.storage.models import Session


def _free(now: datetime) -> ColumnElement[bool]:
    return or_(Session.lease_until.is_(None), Session.lease_until < now)


async def claim_due_sessions(
    tx: AsyncSession, owner: str, now: datetime, lease: timedelta, limit: int
) -> list[uuid.UUID]:
    """Lease up to ``limit`` due sessions to ``owner``. Rows another worker is claiming at this
    instant are skipped, not waited for; an expired lease is free again."""
    query = (
        select(Session.id)
        .where(Session.due_at.is_not(None), Session.due_at <= now, _free(now))
        .order_by(Session.due_at)
        .limit(limit)
    )
    if tx.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list((await tx.scalars(query)).all())
    if ids:
        await tx.execute(
            update(Session).where(Session.id.in_(ids)).values(lease_owner=owner, lease_until=now + lease)
        )
    return ids


async def claim_session(
    tx: AsyncSession, session_id: uuid.UUID, owner: str, now: datetime, lease: timedelta
) -> bool:
    """Lease one session now (a user's save pushes at once), unless another worker holds it."""
    query = select(Session.id).where(Session.id == session_id, _free(now))
    if tx.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    if await tx.scalar(query) is None:
        return False
    await tx.execute(
        update(Session).where(Session.id == session_id).values(lease_owner=owner, lease_until=now + lease)
    )
    return True


async def release(tx: AsyncSession, session_id: uuid.UUID, owner: str) -> None:
    await tx.execute(
        update(Session)
        .where(Session.id == session_id, Session.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )


async def next_due(tx: AsyncSession) -> datetime | None:
    return await tx.scalar(
        select(Session.due_at).where(Session.due_at.is_not(None)).order_by(Session.due_at).limit(1)
    )
