"""Recording who changed what."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vilt.services.context import Actor, ServiceContext
from vilt.storage.models import AuditEntry


def record(
    ctx: ServiceContext,
    tx: AsyncSession,
    account_id: uuid.UUID,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: uuid.UUID | str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    tx.add(
        AuditEntry(
            account_id=account_id,
            actor=actor.label,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            before=before,
            after=after,
            reason=reason,
            at=ctx.clock.now(),
        )
    )
