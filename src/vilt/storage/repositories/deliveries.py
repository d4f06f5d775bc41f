"""Outgoing deliveries."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.storage.models import Delivery


async def get(tx: AsyncSession, account_id: uuid.UUID, delivery_id: uuid.UUID) -> Delivery | None:
    return await tx.scalar(
        select(Delivery).where(Delivery.account_id == account_id, Delivery.id == delivery_id)
    )


async def by_id(tx: AsyncSession, delivery_id: uuid.UUID, *, for_update: bool = False) -> Delivery | None:
    query = select(Delivery).where(Delivery.id == delivery_id)
    if for_update:
        query = query.with_for_update()
    return await tx.scalar(query)


async def by_key(tx: AsyncSession, account_id: uuid.UUID, kind: str, key: str) -> Delivery | None:
    return await tx.scalar(
        select(Delivery).where(
            Delivery.account_id == account_id, Delivery.kind == kind, Delivery.idempotency_key == key
        )
    )


def listing(
    account_id: uuid.UUID, *, status: str | None = None, kind: str | None = None, target: str | None = None
) -> Select[Delivery]:
    query = select(Delivery).where(Delivery.account_id == account_id)
    if status:
        query = query.where(Delivery.status == status)
    if kind:
        query = query.where(Delivery.kind == kind)
    if target:
        query = query.where(Delivery.target == target)
    return query.order_by(Delivery.created_at.desc(), Delivery.id)
