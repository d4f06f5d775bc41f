"""Accounts, teams and API keys."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.storage.models import Account, ApiKey, Team


async def get(tx: AsyncSession, account_id: uuid.UUID) -> Account | None:
    return await tx.get(Account, account_id)


async def by_name(tx: AsyncSession, name: str) -> Account | None:
    return await tx.scalar(select(Account).where(Account.name == name))


async def all_accounts(tx: AsyncSession) -> list[Account]:
    return list((await tx.scalars(select(Account).order_by(Account.created_at))).all())


async def teams(tx: AsyncSession, account_id: uuid.UUID) -> list[Team]:
    query = select(Team).where(Team.account_id == account_id).order_by(Team.name)
    return list((await tx.scalars(query)).all())


async def team(tx: AsyncSession, account_id: uuid.UUID, team_id: uuid.UUID) -> Team | None:
    return await tx.scalar(select(Team).where(Team.account_id == account_id, Team.id == team_id))


async def api_key_by_prefix(tx: AsyncSession, prefix: str) -> ApiKey | None:
    return await tx.scalar(select(ApiKey).where(ApiKey.prefix == prefix))


async def api_keys(tx: AsyncSession, account_id: uuid.UUID) -> list[ApiKey]:
    query = select(ApiKey).where(ApiKey.account_id == account_id).order_by(ApiKey.created_at)
    return list((await tx.scalars(query)).all())


async def names(tx: AsyncSession, account_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = await tx.execute(select(Account.id, Account.name).where(Account.id.in_(account_ids)))
    return {account_id: name for account_id, name in rows}
