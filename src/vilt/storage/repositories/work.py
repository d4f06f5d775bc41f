"""Claiming due rows for the worker: leases that expire, ``SKIP LOCKED`` on PostgreSQL.

Works for any model with ``WorkColumns`` (sessions, outgoing deliveries...)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.storage.models import Session


def _free(model: Any, now: datetime) -> ColumnElement[bool]:
    return or_(model.lease_until.is_(None), model.lease_until < now)


async def claim_due(
    tx: AsyncSession, model: Any, owner: str, now: datetime, lease: timedelta, limit: int
) -> list[uuid.UUID]:
    """Lease up to ``limit`` due rows of ``model`` to ``owner``. Rows another worker is claiming
    at this instant are skipped, not waited for; an expired lease is free again."""
    query = (
        select(model.id)
        .where(model.due_at.is_not(None), model.due_at <= now, _free(model, now))
        .order_by(model.due_at)
        .limit(limit)
    )
    if tx.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list((await tx.scalars(query)).all())
    if ids:
        await tx.execute(
            update(model).where(model.id.in_(ids)).values(lease_owner=owner, lease_until=now + lease)
        )
    return ids


async def claim_one(
    tx: AsyncSession, model: Any, row_id: uuid.UUID, owner: str, now: datetime, lease: timedelta
) -> bool:
    """Lease one row now (a user's save pushes at once), unless another worker holds it."""
    query = select(model.id).where(model.id == row_id, _free(model, now))
    if tx.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    if await tx.scalar(query) is None:
        return False
    await tx.execute(
        update(model).where(model.id == row_id).values(lease_owner=owner, lease_until=now + lease)
    )
    return True


async def claim_due_sessions(
    tx: AsyncSession, owner: str, now: datetime, lease: timedelta, limit: int
) -> list[uuid.UUID]:
    return await claim_due(tx, Session, owner, now, lease, limit)


async def claim_session(
    tx: AsyncSession, session_id: uuid.UUID, owner: str, now: datetime, lease: timedelta
) -> bool:
    return await claim_one(tx, Session, session_id, owner, now, lease)
