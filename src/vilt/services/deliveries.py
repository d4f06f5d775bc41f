"""Outgoing deliveries: what Vilt owes the outside world (signed webhooks, LTI scores...).

A delivery is written in the same transaction as the change that causes it, so it cannot be
lost; the worker sends it through the handler for its ``kind``, outside any transaction, and
retries with back-off (honouring ``Retry-After``) until it arrives. After ``GIVE_UP_AFTER`` it
is marked failed, stays visible, and can be replayed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.errors import Conflict, NotFound
from vilt.core.planner import retry_delay
from vilt.storage.models import Delivery
from vilt.storage.repositories import deliveries as repo

log = structlog.get_logger(__name__)

GIVE_UP_AFTER = timedelta(hours=72)


@dataclass(frozen=True)
class Sent:
    """The outcome of one attempt."""

    ok: bool
    status: int | None = None
    error: str | None = None
    retry_after: timedelta | None = None
    permanent: bool = False
    """Retrying cannot help (the receiver said the target is gone): fail now."""


class DeliveryHandler(Protocol):
    kind: str

    async def prepare(self, tx: AsyncSession, delivery: Delivery) -> Any:
        """Read what sending needs (an endpoint's URL and secret...), inside a transaction."""
        ...

    async def send(self, delivery: Delivery, prepared: Any) -> Sent:
        """Send once; no database access here."""
        ...


async def enqueue(
    tx: AsyncSession,
    *,
    now: datetime,
    account_id: uuid.UUID,
    kind: str,
    target: str,
    event_type: str,
    payload: dict[str, Any],
    idempotency_key: str,
) -> Delivery:
    """Owe one message. The same key twice owes it once."""
    existing = await repo.by_key(tx, account_id, kind, idempotency_key)
    if existing is not None:
        return existing
    delivery = Delivery(
        account_id=account_id,
        kind=kind,
        target=target,
        event_type=event_type,
        payload=payload,
        idempotency_key=idempotency_key,
        status="pending",
        attempts=0,
        due_at=now,
        created_at=now,
        updated_at=now,
    )
    tx.add(delivery)
    await tx.flush()
    return delivery


def record_attempt(delivery: Delivery, sent: Sent, now: datetime) -> None:
    delivery.attempts += 1
    delivery.last_status = sent.status
    delivery.updated_at = now
    delivery.lease_owner = None
    delivery.lease_until = None
    if sent.ok:
        delivery.status = "delivered"
        delivery.delivered_at = now
        delivery.last_error = None
        delivery.due_at = None
        return
    delivery.last_error = (sent.error or f"HTTP {sent.status}")[:2000]
    if sent.permanent or now - delivery.created_at >= GIVE_UP_AFTER:
        delivery.status = "failed"
        delivery.due_at = None
        log.warning(
            "delivery.failed", delivery=str(delivery.id), kind=delivery.kind, error=delivery.last_error
        )
        return
    delivery.due_at = now + retry_delay(delivery.attempts, sent.retry_after)


async def replay(tx: AsyncSession, account_id: uuid.UUID, delivery_id: uuid.UUID, now: datetime) -> Delivery:
    delivery = await repo.get(tx, account_id, delivery_id)
    if delivery is None:
        raise NotFound("No such delivery in this account.")
    if delivery.status == "pending" and delivery.due_at is not None and delivery.due_at <= now:
        raise Conflict("This delivery is already due to be sent.")
    delivery.status = "pending"
    delivery.due_at = now
    delivery.created_at = min(delivery.created_at, now)
    delivery.updated_at = now
    return delivery
