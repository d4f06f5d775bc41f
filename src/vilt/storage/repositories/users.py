"""Users, their addresses and external identities."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import Select, String, cast, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.storage.models import User, UserEmail, UserIdentity


async def get(tx: AsyncSession, account_id: uuid.UUID, user_id: uuid.UUID) -> User | None:
    return await tx.scalar(select(User).where(User.account_id == account_id, User.id == user_id))


async def many(tx: AsyncSession, account_id: uuid.UUID, user_ids: Collection[uuid.UUID]) -> list[User]:
    if not user_ids:
        return []
    query = select(User).where(User.account_id == account_id, User.id.in_(list(user_ids)))
    return list((await tx.scalars(query)).all())


def listing(account_id: uuid.UUID, email: str | None = None) -> Select[User]:
    query = select(User).where(User.account_id == account_id)
    if email:
        query = query.join(UserEmail, UserEmail.user_id == User.id).where(UserEmail.email_normalized == email)
    return query.order_by(User.created_at, User.id)


async def owner_of_email(tx: AsyncSession, account_id: uuid.UUID, email_normalized: str) -> uuid.UUID | None:
    return await tx.scalar(
        select(UserEmail.user_id).where(
            UserEmail.account_id == account_id, UserEmail.email_normalized == email_normalized
        )
    )


async def emails_of(tx: AsyncSession, user_id: uuid.UUID) -> list[UserEmail]:
    query = select(UserEmail).where(UserEmail.user_id == user_id).order_by(UserEmail.email_normalized)
    return list((await tx.scalars(query)).all())


async def replace_aliases(
    tx: AsyncSession, account_id: uuid.UUID, user_id: uuid.UUID, aliases: Sequence[str]
) -> None:
    await tx.execute(delete(UserEmail).where(UserEmail.user_id == user_id, UserEmail.is_primary.is_(False)))
    tx.add_all(
        UserEmail(account_id=account_id, user_id=user_id, email_normalized=a, is_primary=False)
        for a in aliases
    )
    await tx.flush()


async def set_primary_email(tx: AsyncSession, account_id: uuid.UUID, user_id: uuid.UUID, email: str) -> None:
    await tx.execute(delete(UserEmail).where(UserEmail.user_id == user_id, UserEmail.is_primary.is_(True)))
    await tx.flush()
    tx.add(UserEmail(account_id=account_id, user_id=user_id, email_normalized=email, is_primary=True))
    await tx.flush()


async def users_by_emails(
    tx: AsyncSession, account_id: uuid.UUID, emails: Collection[str]
) -> dict[str, uuid.UUID]:
    """Normalised address → user, for the given addresses only (chunked for big imports)."""
    found: dict[str, uuid.UUID] = {}
    items = list(emails)
    for start in range(0, len(items), 900):
        chunk = items[start : start + 900]
        columns = UserEmail.__table__.c
        rows = await tx.execute(
            select(columns.email_normalized, columns.user_id).where(
                columns.account_id == account_id, columns.email_normalized.in_(chunk)
            )
        )
        found.update({email: user for email, user in rows})
    return found


async def users_by_name_keys(
    tx: AsyncSession, account_id: uuid.UUID, keys: Collection[str]
) -> dict[str, list[uuid.UUID]]:
    found: dict[str, list[uuid.UUID]] = {}
    items = [k for k in keys if k]
    for start in range(0, len(items), 900):
        chunk = items[start : start + 900]
        rows = await tx.execute(
            select(User.name_key, User.id).where(User.account_id == account_id, User.name_key.in_(chunk))
        )
        for key, user in rows:
            found.setdefault(key, []).append(user)
    return found


async def identity_owner(
    tx: AsyncSession, account_id: uuid.UUID, issuer: str, subject: str
) -> uuid.UUID | None:
    return await tx.scalar(
        select(UserIdentity.user_id).where(
            UserIdentity.account_id == account_id,
            UserIdentity.issuer == issuer,
            UserIdentity.subject == subject,
        )
    )


async def with_password_by_email(tx: AsyncSession, email_normalized: str) -> list[User]:
    """Users of any account known by this address (primary or alias) who have a password."""
    query = (
        select(User)
        .join(UserEmail, UserEmail.user_id == User.id)
        .where(UserEmail.email_normalized == email_normalized, User.password_hash.is_not(None))
        .order_by(User.created_at)
    )
    return list((await tx.scalars(query)).all())


async def with_role(tx: AsyncSession, account_id: uuid.UUID, role: str, limit: int = 500) -> list[User]:
    """Users holding ``role``, by name. Roles are a JSON list; its text form holds the quoted name
    on SQLite and PostgreSQL alike."""
    query = (
        select(User)
        .where(User.account_id == account_id, cast(User.roles, String).like(f'%"{role}"%'))
        .order_by(User.display_name)
        .limit(limit)
    )
    return list((await tx.scalars(query)).all())
