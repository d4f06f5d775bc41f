"""The audit log: who changed what, when, from what to what, and why."""

from __future__ import annotations

import uuid
from collections.abc import Collection

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


async def for_objects(
    tx: AsyncSession, account_id: uuid.UUID, objects: Collection[tuple[str, str]]
) -> list[AuditEntry]:
    """Every entry about any of ``objects`` ((type, id) pairs), oldest first."""
    by_type: dict[str, list[str]] = {}
    for object_type, object_id in objects:
        by_type.setdefault(object_type, []).append(object_id)
    found: list[AuditEntry] = []
    for object_type, ids in by_type.items():
        for start in range(0, len(ids), 900):
            query = select(AuditEntry).where(
                AuditEntry.account_id == account_id,
                AuditEntry.object_type == object_type,
                AuditEntry.object_id.in_(ids[start : start + 900]),
            )
            found.extend((await tx.scalars(query)).all())
    return sorted(found, key=lambda e: (e.at, e.action))
