"""People in an account: addresses (primary and aliases, unique, case-insensitive), roles."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.errors import Conflict, ErrorList, NotFound
from vilt.core.identity import is_plausible_email, name_key, normalize_email
from vilt.core.sessions import is_known_time_zone
from vilt.services import audit
from vilt.services.context import Actor, ServiceContext
from vilt.storage.models import User
from vilt.storage.repositories import users as repo

ROLES = ("admin", "instructor", "learner")


@dataclass(frozen=True)
class UserInput:
    email: str | None = None
    display_name: str | None = None
    time_zone: str | None = None
    locale: str | None = None
    roles: Sequence[str] | None = None
    aliases: Sequence[str] | None = None
    lms_id: str | None = None


def _validate(data: UserInput, *, creating: bool) -> ErrorList:
    errors = ErrorList()
    if (creating or data.email is not None) and (not data.email or not is_plausible_email(data.email)):
        errors.add("email", "Give a valid email address, like name@example.com.")
    if creating or data.display_name is not None:
        if not data.display_name or not data.display_name.strip():
            errors.add("display_name", "A display name is required.")
        elif len(data.display_name) > 255:
            errors.add("display_name", "A display name has at most 255 characters.")
    if data.time_zone is not None and not is_known_time_zone(data.time_zone):
        errors.add("time_zone", f"'{data.time_zone}' is not a known IANA time zone.")
    for index, role in enumerate(data.roles or ()):
        if role not in ROLES:
            errors.add(f"roles.{index}", f"Unknown role '{role}'; use {', '.join(ROLES)}.")
    for index, alias in enumerate(data.aliases or ()):
        if not is_plausible_email(alias):
            errors.add(f"aliases.{index}", f"'{alias}' is not a valid email address.")
    if data.locale is not None and data.locale not in ("en", "ru"):
        errors.add("locale", "Choose en or ru.")
    return errors


async def _ensure_free(
    tx: AsyncSession, account_id: uuid.UUID, addresses: Sequence[tuple[str, str]], user_id: uuid.UUID | None
) -> None:
    errors = ErrorList()
    seen: set[str] = set()
    for field_name, address in addresses:
        if address in seen:
            errors.add(field_name, f"{address} is given twice.")
            continue
        seen.add(address)
        owner = await repo.owner_of_email(tx, account_id, address)
        if owner is not None and owner != user_id:
            errors.add(field_name, f"{address} already belongs to another user in this account.")
    if errors.errors:
        raise Conflict(
            "; ".join(f"{e.field}: {e.reason}" for e in errors.errors),
            errors=[{"field": e.field, "reason": e.reason} for e in errors.errors],
        )


async def create(
    ctx: ServiceContext, tx: AsyncSession, account_id: uuid.UUID, data: UserInput, actor: Actor
) -> User:
    _validate(data, creating=True).raise_if_any()
    assert data.email is not None
    assert data.display_name is not None
    email = normalize_email(data.email)
    aliases = [normalize_email(a) for a in data.aliases or ()]
    await _ensure_free(
        tx, account_id, [("email", email)] + [(f"aliases.{i}", a) for i, a in enumerate(aliases)], None
    )
    now = ctx.clock.now()
    user = User(
        account_id=account_id,
        email=data.email.strip(),
        email_normalized=email,
        display_name=data.display_name.strip(),
        name_key=name_key(data.display_name),
        time_zone=data.time_zone or "UTC",
        locale=data.locale or "en",
        roles=list(dict.fromkeys(data.roles or ["learner"])),
        lms_id=data.lms_id,
        created_at=now,
        updated_at=now,
    )
    tx.add(user)
    await tx.flush()
    await repo.set_primary_email(tx, account_id, user.id, email)
    await repo.replace_aliases(tx, account_id, user.id, aliases)
    audit.record(ctx, tx, account_id, actor, "user.created", "user", user.id, after={"email": email})
    return user


async def get(tx: AsyncSession, account_id: uuid.UUID, user_id: uuid.UUID) -> User:
    user = await repo.get(tx, account_id, user_id)
    if user is None:
        raise NotFound("No such user in this account.")
    return user


async def aliases(tx: AsyncSession, user_id: uuid.UUID) -> list[str]:
    return [e.email_normalized for e in await repo.emails_of(tx, user_id) if not e.is_primary]


async def update(
    ctx: ServiceContext,
    tx: AsyncSession,
    account_id: uuid.UUID,
    user_id: uuid.UUID,
    data: UserInput,
    actor: Actor,
) -> User:
    user = await get(tx, account_id, user_id)
    _validate(data, creating=False).raise_if_any()
    before = {"email": user.email_normalized, "display_name": user.display_name}
    claims: list[tuple[str, str]] = []
    if data.email is not None:
        claims.append(("email", normalize_email(data.email)))
    if data.aliases is not None:
        claims += [(f"aliases.{i}", normalize_email(a)) for i, a in enumerate(data.aliases)]
    await _ensure_free(tx, account_id, claims, user.id)
    if data.email is not None:
        user.email = data.email.strip()
        user.email_normalized = normalize_email(data.email)
        await repo.set_primary_email(tx, account_id, user.id, user.email_normalized)
    if data.aliases is not None:
        await repo.replace_aliases(tx, account_id, user.id, [normalize_email(a) for a in data.aliases])
    if data.display_name is not None:
        user.display_name = data.display_name.strip()
        user.name_key = name_key(user.display_name)
    if data.time_zone is not None:
        user.time_zone = data.time_zone
    if data.locale is not None:
        user.locale = data.locale
    if data.roles is not None:
        user.roles = list(dict.fromkeys(data.roles))
    if data.lms_id is not None:
        user.lms_id = data.lms_id
    user.updated_at = ctx.clock.now()
    audit.record(
        ctx,
        tx,
        account_id,
        actor,
        "user.updated",
        "user",
        user.id,
        before=before,
        after={"email": user.email_normalized, "display_name": user.display_name},
    )
    return user


async def add_alias(
    ctx: ServiceContext, tx: AsyncSession, account_id: uuid.UUID, user_id: uuid.UUID, email: str, actor: Actor
) -> None:
    """Remember another address for a user (e.g. learnt when binding an attendance record)."""
    address = normalize_email(email)
    current = await aliases(tx, user_id)
    if address in current:
        return
    user = await get(tx, account_id, user_id)
    if address == user.email_normalized:
        return
    await update(ctx, tx, account_id, user_id, UserInput(aliases=[*current, address]), actor)
