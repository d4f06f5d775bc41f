"""The audit log: who changed what, when, from what to what, and why."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.storage.models import AuditEntry


async def for_object(
    tx: AsyncSession, account_id: uuid.UUID, object_type: str, object_id: str
) -> list[AuditEntry]:
    query = (
        select(AuditEntry)
        .where(
            AuditEntry.account_id == account_id,
            AuditEntry.object_type == object_type,
            AuditEntry.object_id == object_id,
        )
        .order_by(AuditEntry.at)
    )
    return list((await tx.scalars(query)).all())
