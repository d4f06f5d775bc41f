"""Local accounts: passwords stored as argon2 hashes, checked without telling which part was
wrong. Hashing is slow on purpose, so it runs in a thread and never blocks the event loop."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.errors import ValidationFailed
from vilt.core.identity import normalize_email
from vilt.services import audit
from vilt.services.context import Actor, ServiceContext
from vilt.services.users import get as get_user
from vilt.storage.models import User
from vilt.storage.repositories import users as repo

MIN_LENGTH = 8
MAX_LENGTH = 1024
_hasher = PasswordHasher()
# verified when nobody has the address, so a wrong address costs as long as a wrong password
_DUMMY_HASH = _hasher.hash("not a real password")


def validate(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise ValidationFailed.one("password", f"A password has at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise ValidationFailed.one("password", f"A password has at most {MAX_LENGTH} characters.")


async def hash_password(password: str) -> str:
    validate(password)
    return await asyncio.to_thread(_hasher.hash, password)


def _matches(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


async def set_password(
    ctx: ServiceContext,
    tx: AsyncSession,
    account_id: uuid.UUID,
    user_id: uuid.UUID,
    password: str,
    actor: Actor,
) -> User:
    user = await get_user(tx, account_id, user_id)
    user.password_hash = await hash_password(password)
    user.updated_at = ctx.clock.now()
    audit.record(ctx, tx, account_id, actor, "user.password_set", "user", user.id)
    return user


@dataclass(frozen=True)
class SignInMatch:
    user: User
    rehash: bool
    """The stored hash uses older parameters: store a fresh one."""


async def check_password(tx: AsyncSession, email: str, password: str) -> list[SignInMatch]:
    """The users (one per account) that have this address and this password; usually one or
    none. Aliases count as addresses."""
    candidates = await repo.with_password_by_email(tx, normalize_email(email))
    if not candidates or len(password) > MAX_LENGTH:
        await asyncio.to_thread(_matches, _DUMMY_HASH, password[:MAX_LENGTH])
        return []
    found = []
    for user in candidates:
        assert user.password_hash is not None
        if await asyncio.to_thread(_matches, user.password_hash, password):
            found.append(SignInMatch(user, _hasher.check_needs_rehash(user.password_hash)))
    return found


async def refresh_hash(tx: AsyncSession, user_id: uuid.UUID, password: str) -> None:
    user = await tx.get(User, user_id)
    if user is not None:
        user.password_hash = await hash_password(password)
