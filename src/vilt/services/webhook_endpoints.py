"""Webhook endpoints: where an account's signed webhooks go. The signing secret is shown once,
when it is made (at creation or rotation), and stored encrypted."""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.errors import ErrorList, NotFound
from vilt.core.webhooks import EVENT_TYPES, SECRET_PREFIX, validate_event_types, validate_url
from vilt.services import audit
from vilt.services.context import Actor, ServiceContext
from vilt.storage.models import WebhookEndpoint
from vilt.storage.repositories import webhooks as repo

ROTATION_GRACE = timedelta(hours=24)
"""After a rotation the old secret signs too (a second signature) for this long, so receivers
can switch without losing a message."""


@dataclass(frozen=True)
class EndpointInput:
    url: str | None = None
    description: str | None = None
    event_types: Sequence[str] | None = None
    active: bool | None = None
    provided: frozenset[str] = field(default_factory=frozenset)


def new_secret() -> str:
    """Standard Webhooks form: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signing_secrets(ctx: ServiceContext, endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets that sign a message now: the current one, and the previous one during a rotation."""
    stored = ctx.secrets.decrypt(endpoint.secrets)
    found = [stored["current"]]
    if stored.get("previous") and endpoint.previous_secret_until and now < endpoint.previous_secret_until:
        found.append(stored["previous"])
    return found


def _validate(data: EndpointInput, *, creating: bool) -> None:
    errors = ErrorList()
    if creating or data.url is not None:
        validate_url(errors, data.url)
    if data.event_types is not None:
        validate_event_types(errors, data.event_types)
    if data.description is not None and len(data.description) > 2000:
        errors.add("description", "At most 2000 characters.")
    errors.raise_if_any()


async def create(
    ctx: ServiceContext, tx: AsyncSession, account_id: uuid.UUID, data: EndpointInput, actor: Actor
) -> tuple[WebhookEndpoint, str]:
    """The new endpoint and its signing secret (shown this once)."""
    _validate(data, creating=True)
    assert data.url is not None
    now = ctx.clock.now()
    secret = new_secret()
    endpoint = WebhookEndpoint(
        account_id=account_id,
        url=data.url.strip(),
        description=data.description or "",
        event_types=list(dict.fromkeys(data.event_types or EVENT_TYPES)),
        active=True if data.active is None else data.active,
        secrets=ctx.secrets.encrypt({"current": secret}),
        created_at=now,
        updated_at=now,
    )
    tx.add(endpoint)
    await tx.flush()
    audit.record(
        ctx,
        tx,
        account_id,
        actor,
        "webhook_endpoint.created",
        "webhook_endpoint",
        endpoint.id,
        after={"url": endpoint.url, "event_types": endpoint.event_types},
    )
    return endpoint, secret


async def get(tx: AsyncSession, account_id: uuid.UUID, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    endpoint = await repo.get(tx, account_id, endpoint_id)
    if endpoint is None:
        raise NotFound("No such webhook endpoint in this account.")
    return endpoint


async def update(
    ctx: ServiceContext,
    tx: AsyncSession,
    account_id: uuid.UUID,
    endpoint_id: uuid.UUID,
    data: EndpointInput,
    actor: Actor,
) -> WebhookEndpoint:
    endpoint = await get(tx, account_id, endpoint_id)
    _validate(data, creating=False)
    before = {"url": endpoint.url, "event_types": endpoint.event_types, "active": endpoint.active}
    if data.url is not None:
        endpoint.url = data.url.strip()
    if data.description is not None:
        endpoint.description = data.description
    if data.event_types is not None:
        endpoint.event_types = list(dict.fromkeys(data.event_types))
    if data.active is not None:
        endpoint.active = data.active
    endpoint.updated_at = ctx.clock.now()
    audit.record(
        ctx,
        tx,
        account_id,
        actor,
        "webhook_endpoint.updated",
        "webhook_endpoint",
        endpoint.id,
        before=before,
        after={"url": endpoint.url, "event_types": endpoint.event_types, "active": endpoint.active},
    )
    return endpoint


async def rotate(
    ctx: ServiceContext, tx: AsyncSession, account_id: uuid.UUID, endpoint_id: uuid.UUID, actor: Actor
) -> tuple[WebhookEndpoint, str]:
    """A new signing secret; the old one keeps signing beside it for ``ROTATION_GRACE``."""
    endpoint = await get(tx, account_id, endpoint_id)
    now = ctx.clock.now()
    current = ctx.secrets.decrypt(endpoint.secrets)["current"]
    secret = new_secret()
    endpoint.secrets = ctx.secrets.encrypt({"current": secret, "previous": current})
    endpoint.previous_secret_until = now + ROTATION_GRACE
    endpoint.updated_at = now
    audit.record(
        ctx,
        tx,
        account_id,
        actor,
        "webhook_endpoint.secret_rotated",
        "webhook_endpoint",
        endpoint.id,
        after={"previous_secret_until": endpoint.previous_secret_until.isoformat()},
    )
    return endpoint, secret


async def delete(
    ctx: ServiceContext, tx: AsyncSession, account_id: uuid.UUID, endpoint_id: uuid.UUID, actor: Actor
) -> None:
    """Owed deliveries to it then fail visibly ("endpoint deleted") and stay listed."""
    endpoint = await get(tx, account_id, endpoint_id)
    audit.record(
        ctx,
        tx,
        account_id,
        actor,
        "webhook_endpoint.deleted",
        "webhook_endpoint",
        endpoint.id,
        before={"url": endpoint.url},
    )
    await tx.delete(endpoint)
