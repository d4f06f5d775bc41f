"""Integrations (linked provider accounts)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.storage.models import Integration, Session


async def get(tx: AsyncSession, account_id: uuid.UUID, integration_id: uuid.UUID) -> Integration | None:
    return await tx.scalar(
        select(Integration).where(Integration.account_id == account_id, Integration.id == integration_id)
    )


async def by_id(tx: AsyncSession, integration_id: uuid.UUID) -> Integration | None:
    return await tx.get(Integration, integration_id)


def listing(account_id: uuid.UUID) -> Select[Integration]:
    return (
        select(Integration)
        .where(Integration.account_id == account_id)
        .order_by(Integration.created_at, Integration.id)
    )


async def by_account_key(tx: AsyncSession, kind: str, account_key: str) -> Integration | None:
    return await tx.scalar(
        select(Integration).where(Integration.kind == kind, Integration.account_key == account_key)
    )


async def active_kinds(tx: AsyncSession, account_id: uuid.UUID) -> set[str]:
    rows = await tx.scalars(
        select(Integration.kind).where(Integration.account_id == account_id, Integration.active.is_(True))
    )
    return set(rows.all())


async def open_session_count(tx: AsyncSession, integration_id: uuid.UUID) -> int:
    """Sessions still to happen or running: they keep an integration from being deleted."""
    count = await tx.scalar(
        select(func.count())
        .select_from(Session)
        .where(Session.integration_id == integration_id, Session.state.in_(["scheduled", "live"]))
    )
    return int(count or 0)


async def session_count(tx: AsyncSession, integration_id: uuid.UUID) -> int:
    count = await tx.scalar(
        select(func.count()).select_from(Session).where(Session.integration_id == integration_id)
    )
    return int(count or 0)


async def retry_failed_sessions(tx: AsyncSession, integration_id: uuid.UUID, now: datetime) -> int:
    """Sessions whose push failed get another try at once (the credentials were just fixed)."""
    result = await tx.execute(
        update(Session)
        .where(Session.integration_id == integration_id, Session.sync_state == "failed")
        .values(sync_retry_at=None, due_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)
