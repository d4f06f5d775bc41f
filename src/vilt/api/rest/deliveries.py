"""``/deliveries``: what Vilt sent (or still owes) outside: visible, and replayable."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from vilt.api.deps import PrincipalDep, RuntimeDep
from vilt.api.rest.common import ERRORS, Cursor, Limit, Page
from vilt.core.errors import NotFound
from vilt.services import deliveries as service
from vilt.storage.models import Delivery
from vilt.storage.repositories import deliveries as repo
from vilt.storage.repositories.paging import paginate

router = APIRouter(prefix="/deliveries", tags=["deliveries"], responses=ERRORS)


class DeliveryOut(BaseModel):
    id: uuid.UUID
    kind: str
    target: str
    event_type: str
    status: str = Field(description="pending | delivered | failed")
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    payload: dict[str, Any]


def delivery_out(row: Delivery) -> DeliveryOut:
    return DeliveryOut(
        id=row.id,
        kind=row.kind,
        target=row.target,
        event_type=row.event_type,
        status=row.status,
        attempts=row.attempts,
        last_status=row.last_status,
        last_error=row.last_error,
        next_attempt_at=row.due_at if row.status == "pending" else None,
        delivered_at=row.delivered_at,
        created_at=row.created_at,
        payload=dict(row.payload),
    )


@router.get("", response_model=Page[DeliveryOut])
async def list_deliveries(
    runtime: RuntimeDep,
    principal: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    status: str | None = None,
    kind: str | None = None,
    target: str | None = None,
) -> Page[DeliveryOut]:
    """Newest first; filter by ``status`` (``failed`` shows what needs attention), kind or target."""
    async with runtime.db.reading() as tx:
        query = repo.listing(principal.account_id, status=status, kind=kind, target=target)
        page = await paginate(tx, query, limit, cursor)
        return Page(items=[delivery_out(d) for d in page.items], next_cursor=page.next_cursor)


@router.get("/{delivery_id}", response_model=DeliveryOut)
async def get_delivery(delivery_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep) -> DeliveryOut:
    async with runtime.db.reading() as tx:
        row = await repo.get(tx, principal.account_id, delivery_id)
        if row is None:
            raise NotFound("No such delivery in this account.")
        return delivery_out(row)


@router.post("/{delivery_id}/replay", response_model=DeliveryOut)
async def replay_delivery(
    delivery_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep
) -> DeliveryOut:
    """Send again: a failed delivery, or a delivered one the receiver lost."""
    async with runtime.db.transaction() as tx:
        row = await service.replay(tx, principal.account_id, delivery_id, runtime.clock.now())
        out = delivery_out(row)
    runtime.worker.wake.set()
    return out
