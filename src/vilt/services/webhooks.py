"""Outgoing webhooks: owed in the transaction of the change (one delivery per subscribed endpoint),
signed and sent by the worker (Standard Webhooks), retried until they arrive.

``webhook-id`` is the delivery's id, the same on every retry, so receivers can drop duplicates;
``webhook-timestamp`` is the time of the attempt on the deployment's clock (the sandbox clock in
sandbox mode); ``webhook-signature`` is ``v1,<base64 HMAC-SHA256>``, with a second signature by the
previous secret while a rotation settles.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks import Webhook

from vilt import __version__
from vilt.clock import Clock
from vilt.core.webhooks import envelope, subscribed
from vilt.providers.http import HttpEnvironment, parse_retry_after
from vilt.services import deliveries
from vilt.services.context import ServiceContext
from vilt.services.deliveries import Sent
from vilt.services.webhook_endpoints import signing_secrets
from vilt.storage.models import Delivery
from vilt.storage.repositories import webhooks as repo

log = structlog.get_logger(__name__)

KIND = "webhook"

DataSource = dict[str, Any] | Callable[[], Awaitable[dict[str, Any]]]


async def emit(
    ctx: ServiceContext,
    tx: AsyncSession,
    account_id: uuid.UUID,
    event_type: str,
    data: DataSource,
    *,
    key: str | None = None,
) -> int:
    """Owe ``event_type`` to every active endpoint of the account subscribed to it; returns how
    many. ``data`` may be a coroutine factory, so nothing is built when nobody listens. With a
    ``key`` the same event is owed once, however often it is emitted."""
    endpoints = [e for e in await repo.active(tx, account_id) if subscribed(e.event_types, event_type)]
    if not endpoints:
        return 0
    now = ctx.clock.now()
    body = data if isinstance(data, dict) else await data()
    payload = envelope(event_type, now, body)
    event_id = f"{event_type}:{key}" if key else uuid.uuid4().hex
    for endpoint in endpoints:
        await deliveries.enqueue(
            tx,
            now=now,
            account_id=account_id,
            kind=KIND,
            target=str(endpoint.id),
            event_type=event_type,
            payload=payload,
            idempotency_key=f"evt_{event_id}:{endpoint.id}",
        )
    return len(endpoints)


@dataclass(frozen=True)
class Target:
    url: str
    active: bool
    secrets: list[str]


def message_id(delivery: Delivery) -> str:
    return f"msg_{delivery.id.hex}"


def sign(secrets: list[str], msg_id: str, clock: Clock, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt."""
    now = clock.now()
    signatures = " ".join(Webhook(secret).sign(msg_id, now, body) for secret in secrets)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signatures,
    }


class WebhookSender:
    """The ``webhook`` delivery kind, registered in ``ServiceContext.deliveries``."""

    kind = KIND

    def __init__(self, ctx: ServiceContext, http: HttpEnvironment) -> None:
        self.ctx = ctx
        self.http = http

    async def prepare(self, tx: AsyncSession, delivery: Delivery) -> Target | None:
        try:
            endpoint_id = uuid.UUID(delivery.target)
        except ValueError:
            return None
        endpoint = await repo.by_id(tx, endpoint_id)
        if endpoint is None or endpoint.account_id != delivery.account_id:
            return None
        return Target(
            endpoint.url, endpoint.active, signing_secrets(self.ctx, endpoint, self.ctx.clock.now())
        )

    async def send(self, delivery: Delivery, prepared: Any) -> Sent:
        if prepared is None:
            return Sent(False, error="The webhook endpoint was deleted.", permanent=True)
        assert isinstance(prepared, Target)
        if not prepared.active:
            return Sent(
                False, error="The webhook endpoint is disabled; enable it and replay.", permanent=True
            )
        body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False)
        headers = {
            **sign(prepared.secrets, message_id(delivery), self.ctx.clock, body),
            "content-type": "application/json",
            "user-agent": f"Vilt-Webhooks/{__version__}",
        }
        try:
            async with self.http.client() as client:
                response = await client.post(prepared.url, content=body.encode(), headers=headers)
        except httpx.TimeoutException:
            return Sent(False, error="The receiver did not answer in time.")
        except httpx.TransportError as exc:
            return Sent(False, error=f"Could not reach the receiver ({type(exc).__name__}).")
        status = response.status_code
        if 200 <= status < 300:
            return Sent(True, status)
        log.info("webhook.refused", delivery=str(delivery.id), status=status)
        return Sent(
            False,
            status,
            f"The receiver answered HTTP {status}.",
            retry_after=parse_retry_after(response.headers.get("Retry-After"), self.ctx.clock.now()),
            # 410 Gone: the receiver says this endpoint no longer exists
            permanent=status == 410,
        )
