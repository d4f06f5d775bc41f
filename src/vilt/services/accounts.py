"""Accounts, teams and API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.errors import Conflict, NotFound, ValidationFailed
from vilt.services import audit
from vilt.services.context import Actor, ServiceContext
from vilt.storage.models import Account, ApiKey, Team
from vilt.storage.repositories import accounts as repo
from vilt.storage.repositories import integrations as integrations_repo

KEY_PREFIX = "vilt"


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    token: str
    """Shown once, never stored."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_account(ctx: ServiceContext, tx: AsyncSession, name: str) -> Account:
    name = name.strip()
    if not name:
        raise ValidationFailed.one("name", "An account needs a name.")
    if await repo.by_name(tx, name) is not None:
        raise Conflict(f"An account named '{name}' exists already.")
    account = Account(name=name, created_at=ctx.clock.now())
    tx.add(account)
    await tx.flush()
    return account


async def find_account(tx: AsyncSession, name_or_id: str) -> Account:
    account: Account | None = None
    try:
        account = await repo.get(tx, uuid.UUID(name_or_id))
    except ValueError:
        account = await repo.by_name(tx, name_or_id)
    if account is None:
        raise NotFound(f"No account '{name_or_id}'.")
    return account


async def create_team(ctx: ServiceContext, tx: AsyncSession, account_id: uuid.UUID, name: str) -> Team:
    name = name.strip()
    if not name:
        raise ValidationFailed.one("name", "A team needs a name.")
    if any(t.name == name for t in await repo.teams(tx, account_id)):
        raise Conflict(f"A team named '{name}' exists already.", field="name")
    team = Team(account_id=account_id, name=name, created_at=ctx.clock.now())
    tx.add(team)
    await tx.flush()
    return team


async def issue_api_key(ctx: ServiceContext, tx: AsyncSession, account_id: uuid.UUID, name: str) -> IssuedKey:
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        account_id=account_id,
        name=name.strip() or "api key",
        prefix=prefix,
        secret_hash=_hash(secret),
        created_at=ctx.clock.now(),
    )
    tx.add(key)
    await tx.flush()
    return IssuedKey(key, f"{KEY_PREFIX}_{prefix}_{secret}")


async def authenticate(tx: AsyncSession, token: str) -> ApiKey | None:
    """The live key for ``token``, or None. Constant-time comparison of the secret's hash."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    key = await repo.api_key_by_prefix(tx, parts[1])
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.secret_hash, _hash(parts[2])):
        return None
    return key


async def revoke_api_key(
    ctx: ServiceContext, tx: AsyncSession, account_id: uuid.UUID, key_id: uuid.UUID
) -> ApiKey:
    keys = {k.id: k for k in await repo.api_keys(tx, account_id)}
    key = keys.get(key_id)
    if key is None:
        raise NotFound("No such API key in this account.")
    key.revoked_at = ctx.clock.now()
    return key


async def set_one_webinar_service(
    ctx: ServiceContext, tx: AsyncSession, account_id: uuid.UUID, enabled: bool, actor: Actor
) -> Account:
    """The policy "one webinar service at a time": while it is on, integrations of only one
    provider kind can be active. It cannot be turned on while several kinds are active."""
    account = await repo.get(tx, account_id)
    if account is None:
        raise NotFound("No such account.")
    if enabled and not account.one_webinar_service:
        kinds = await integrations_repo.active_kinds(tx, account_id)
        if len(kinds) > 1:
            raise Conflict(
                f"Integrations of {len(kinds)} provider kinds are active ({', '.join(sorted(kinds))}); "
                "deactivate all but one kind first.",
                field="one_webinar_service",
            )
    if account.one_webinar_service != enabled:
        audit.record(
            ctx,
            tx,
            account_id,
            actor,
            "account.policy_changed",
            "account",
            account_id,
            before={"one_webinar_service": account.one_webinar_service},
            after={"one_webinar_service": enabled},
        )
        account.one_webinar_service = enabled
    return account
