"""Webhook endpoints of an account."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.storage.models import WebhookEndpoint


async def get(tx: AsyncSession, account_id: uuid.UUID, endpoint_id: uuid.UUID) -> WebhookEndpoint | None:
    return await tx.scalar(
        select(WebhookEndpoint).where(
            WebhookEndpoint.account_id == account_id, WebhookEndpoint.id == endpoint_id
        )
    )


async def by_id(tx: AsyncSession, endpoint_id: uuid.UUID) -> WebhookEndpoint | None:
    return await tx.get(WebhookEndpoint, endpoint_id)


async def active(tx: AsyncSession, account_id: uuid.UUID) -> list[WebhookEndpoint]:
    """An account has a handful of endpoints: the event-type filter is applied by the caller."""
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.account_id == account_id, WebhookEndpoint.active.is_(True)
    )
    return list((await tx.scalars(query)).all())


def listing(account_id: uuid.UUID) -> Select[WebhookEndpoint]:
    return (
        select(WebhookEndpoint)
        .where(WebhookEndpoint.account_id == account_id)
        .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    )
