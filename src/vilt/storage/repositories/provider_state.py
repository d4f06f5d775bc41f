"""What adapters keep per integration: daily quota counts, and the secrets a sign-in left."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.storage.models import Integration, ProviderQuota


async def take_quota(
    tx: AsyncSession,
    integration_id: uuid.UUID,
    quota: str,
    subject: str,
    day: str,
    limit: int,
    now: datetime,
) -> int | None:
    """Count one use in a single statement (concurrent workers cannot both take the last one):
    the new count, or None when ``limit`` was reached."""
    dialect = postgresql if tx.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(ProviderQuota)
        .values(
            id=uuid.uuid4(),
            integration_id=integration_id,
            quota=quota,
            subject=subject,
            day=day,
            used=1,
            updated_at=now,
        )
        .on_conflict_do_update(
            index_elements=["integration_id", "quota", "subject", "day"],
            set_={"used": ProviderQuota.used + 1, "updated_at": now},
            where=ProviderQuota.used < limit,
        )
        .returning(ProviderQuota.used)
    )
    if limit < 1:
        return None
    used = await tx.scalar(statement)
    return int(used) if used is not None else None


async def release_quota(
    tx: AsyncSession, integration_id: uuid.UUID, quota: str, subject: str, day: str, now: datetime
) -> None:
    await tx.execute(
        update(ProviderQuota)
        .where(
            ProviderQuota.integration_id == integration_id,
            ProviderQuota.quota == quota,
            ProviderQuota.subject == subject,
            ProviderQuota.day == day,
            ProviderQuota.used > 0,
        )
        .values(used=ProviderQuota.used - 1, updated_at=now)
    )


async def integration_for_update(tx: AsyncSession, integration_id: uuid.UUID) -> Integration | None:
    return await tx.get(Integration, integration_id, with_for_update=True)
