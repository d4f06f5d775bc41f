"""Signed-in browsers. The cookie carries a random token; the database keeps its hash, the
user, how they signed in (password or LTI), a CSRF token, and when it expires.

Expiry follows real time even in sandbox mode: moving the demo's clock a day on must not sign
out the person trying it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.services.context import ServiceContext
from vilt.storage.models import BrowserSession, User

LIFETIME = timedelta(hours=12)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    session: BrowserSession
    user: User

    def csrf_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(self.session.csrf_token, given)


async def open_session(
    ctx: ServiceContext,
    tx: AsyncSession,
    user: User,
    via: str,
    data: dict[str, Any] | None = None,
    lifetime: timedelta = LIFETIME,
) -> str:
    """Sign ``user`` in; returns the token for the cookie (shown once, stored hashed)."""
    token = secrets.token_urlsafe(32)
    now = ctx.wall_clock.now()
    tx.add(
        BrowserSession(
            token_hash=_hash(token),
            account_id=user.account_id,
            user_id=user.id,
            via=via,
            csrf_token=secrets.token_urlsafe(24),
            data=data or {},
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    await tx.flush()
    return token


async def resolve(ctx: ServiceContext, tx: AsyncSession, token: str | None) -> SignedIn | None:
    if not token:
        return None
    row = await tx.execute(
        select(BrowserSession, User)
        .join(User, User.id == BrowserSession.user_id)
        .where(BrowserSession.token_hash == _hash(token))
    )
    found = row.first()
    if found is None:
        return None
    session, user = found
    if session.expires_at <= ctx.wall_clock.now():
        return None
    return SignedIn(session, user)


async def close_session(tx: AsyncSession, token: str | None) -> None:
    if token:
        await tx.execute(delete(BrowserSession).where(BrowserSession.token_hash == _hash(token)))
