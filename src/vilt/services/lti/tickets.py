"""Single-use, expiring tickets (OIDC states, registration links, page tickets): the token is
shown once, only its hash is stored, and using it twice is refused."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.lti import LaunchRefused
from vilt.services.context import ServiceContext
from vilt.storage.lti_models import LtiTicket
from vilt.storage.repositories import lti as repo


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue(
    ctx: ServiceContext,
    tx: AsyncSession,
    kind: str,
    lifetime: timedelta,
    *,
    account_id: uuid.UUID | None = None,
    platform_id: uuid.UUID | None = None,
    data: dict[str, Any] | None = None,
) -> str:
    token = secrets.token_urlsafe(32)
    now = ctx.clock.now()
    tx.add(
        LtiTicket(
            kind=kind,
            token_hash=token_hash(token),
            account_id=account_id,
            platform_id=platform_id,
            data=data or {},
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    await tx.flush()
    return token


async def peek(ctx: ServiceContext, tx: AsyncSession, kind: str, token: str | None) -> LtiTicket:
    """A valid, unused ticket, or a refusal naming why not."""
    if not token:
        raise LaunchRefused(f"{kind}_missing", "The request carries no state; start again from the LMS.")
    found = await repo.ticket(tx, kind, token_hash(token), for_update=True)
    if found is None:
        raise LaunchRefused(
            f"{kind}_unknown", "This sign-in link is unknown; start again from your course in the LMS."
        )
    if found.used_at is not None:
        raise LaunchRefused(
            f"{kind}_used",
            "This sign-in link was already used (a replayed request); start again from the LMS.",
        )
    if found.expires_at <= ctx.clock.now():
        raise LaunchRefused(f"{kind}_expired", "This sign-in link has expired; start again from the LMS.")
    return found


async def consume(ctx: ServiceContext, tx: AsyncSession, kind: str, token: str | None) -> LtiTicket:
    found = await peek(ctx, tx, kind, token)
    found.used_at = ctx.clock.now()
    return found
