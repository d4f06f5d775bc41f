"""LTI: platforms, tool keys, tickets, contexts, resource links, identities, proctoring."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.storage.lti_models import (
    LtiContext,
    LtiPlatform,
    LtiProctoringAttempt,
    LtiProctoringSetting,
    LtiResourceLink,
    LtiTicket,
    LtiToolKey,
)
from vilt.storage.models import Event, Session, UserIdentity


async def platform(tx: AsyncSession, account_id: uuid.UUID, platform_id: uuid.UUID) -> LtiPlatform | None:
    return await tx.scalar(
        select(LtiPlatform).where(LtiPlatform.account_id == account_id, LtiPlatform.id == platform_id)
    )


async def platform_by_id(tx: AsyncSession, platform_id: uuid.UUID) -> LtiPlatform | None:
    return await tx.get(LtiPlatform, platform_id)


def platforms_listing(account_id: uuid.UUID) -> Select[LtiPlatform]:
    return (
        select(LtiPlatform)
        .where(LtiPlatform.account_id == account_id)
        .order_by(LtiPlatform.created_at, LtiPlatform.id)
    )


async def platforms_by_issuer(tx: AsyncSession, issuer: str, client_id: str | None) -> list[LtiPlatform]:
    query = select(LtiPlatform).where(LtiPlatform.issuer == issuer)
    if client_id:
        query = query.where(LtiPlatform.client_id == client_id)
    return list((await tx.scalars(query)).all())


# the signing key first, then the newest retired ones
_KEY_ORDER = (
    LtiToolKey.retired_at.is_(None).desc(),
    LtiToolKey.retired_at.desc(),
    LtiToolKey.created_at.desc(),
)


async def tool_keys(tx: AsyncSession) -> list[LtiToolKey]:
    return list((await tx.scalars(select(LtiToolKey).order_by(*_KEY_ORDER))).all())


async def published_keys(tx: AsyncSession, now: datetime) -> list[LtiToolKey]:
    query = (
        select(LtiToolKey)
        .where(or_(LtiToolKey.expires_at.is_(None), LtiToolKey.expires_at > now))
        .order_by(*_KEY_ORDER)
    )
    return list((await tx.scalars(query)).all())


async def signing_key(tx: AsyncSession) -> LtiToolKey | None:
    query = (
        select(LtiToolKey)
        .where(LtiToolKey.retired_at.is_(None))
        .order_by(LtiToolKey.created_at.desc())
        .limit(1)
    )
    return await tx.scalar(query)


async def ticket(
    tx: AsyncSession, kind: str, token_hash: str, *, for_update: bool = False
) -> LtiTicket | None:
    query = select(LtiTicket).where(LtiTicket.kind == kind, LtiTicket.token_hash == token_hash)
    if for_update:
        query = query.with_for_update()
    return await tx.scalar(query)


async def context(tx: AsyncSession, platform_id: uuid.UUID, context_id: str) -> LtiContext | None:
    return await tx.scalar(
        select(LtiContext).where(LtiContext.platform_id == platform_id, LtiContext.context_id == context_id)
    )


async def resource_link(tx: AsyncSession, platform_id: uuid.UUID, link_id: str) -> LtiResourceLink | None:
    return await tx.scalar(
        select(LtiResourceLink).where(
            LtiResourceLink.platform_id == platform_id, LtiResourceLink.resource_link_id == link_id
        )
    )


async def link(tx: AsyncSession, account_id: uuid.UUID, link_id: uuid.UUID) -> LtiResourceLink | None:
    return await tx.scalar(
        select(LtiResourceLink).where(LtiResourceLink.account_id == account_id, LtiResourceLink.id == link_id)
    )


def links_listing(account_id: uuid.UUID, event_id: uuid.UUID | None = None) -> Select[LtiResourceLink]:
    query = select(LtiResourceLink).where(LtiResourceLink.account_id == account_id)
    if event_id is not None:
        query = query.where(LtiResourceLink.event_id == event_id)
    return query.order_by(LtiResourceLink.created_at, LtiResourceLink.id)


async def graded_links_of_event(tx: AsyncSession, event_id: uuid.UUID) -> list[LtiResourceLink]:
    query = select(LtiResourceLink).where(
        LtiResourceLink.event_id == event_id, LtiResourceLink.lineitem_url.is_not(None)
    )
    return list((await tx.scalars(query)).all())


async def subjects(
    tx: AsyncSession, account_id: uuid.UUID, issuer: str, user_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """User → their ``sub`` on the platform ``issuer``."""
    if not user_ids:
        return {}
    rows = await tx.execute(
        select(UserIdentity.user_id, UserIdentity.subject).where(
            UserIdentity.account_id == account_id,
            UserIdentity.issuer == issuer,
            UserIdentity.user_id.in_(list(user_ids)),
        )
    )
    return {user: subject for user, subject in rows}


async def events_for_picker(tx: AsyncSession, account_id: uuid.UUID, limit: int = 50) -> list[Event]:
    query = select(Event).where(Event.account_id == account_id).order_by(Event.created_at.desc()).limit(limit)
    return list((await tx.scalars(query)).all())


async def open_sessions_of_event(tx: AsyncSession, event_id: uuid.UUID) -> list[Session]:
    query = (
        select(Session)
        .where(Session.event_id == event_id, Session.state.in_(("scheduled", "live")))
        .order_by(Session.starts_at, Session.id)
    )
    return list((await tx.scalars(query)).all())


async def attempt(
    tx: AsyncSession, account_id: uuid.UUID, attempt_id: uuid.UUID
) -> LtiProctoringAttempt | None:
    return await tx.scalar(
        select(LtiProctoringAttempt).where(
            LtiProctoringAttempt.account_id == account_id, LtiProctoringAttempt.id == attempt_id
        )
    )


async def attempt_of(
    tx: AsyncSession, platform_id: uuid.UUID, resource_link_id: str, user_id: uuid.UUID, number: int
) -> LtiProctoringAttempt | None:
    return await tx.scalar(
        select(LtiProctoringAttempt).where(
            LtiProctoringAttempt.platform_id == platform_id,
            LtiProctoringAttempt.resource_link_id == resource_link_id,
            LtiProctoringAttempt.user_id == user_id,
            LtiProctoringAttempt.attempt_number == number,
        )
    )


def attempts_listing(account_id: uuid.UUID, status: str | None = None) -> Select[LtiProctoringAttempt]:
    query = select(LtiProctoringAttempt).where(LtiProctoringAttempt.account_id == account_id)
    if status:
        query = query.where(LtiProctoringAttempt.status == status)
    return query.order_by(LtiProctoringAttempt.created_at, LtiProctoringAttempt.id)


async def proctoring_setting(
    tx: AsyncSession, account_id: uuid.UUID, course_id: str, content_id: str
) -> LtiProctoringSetting | None:
    return await tx.scalar(
        select(LtiProctoringSetting).where(
            LtiProctoringSetting.account_id == account_id,
            LtiProctoringSetting.course_id == course_id,
            LtiProctoringSetting.content_id == content_id,
        )
    )


async def proctoring_setting_for_content(
    tx: AsyncSession, account_id: uuid.UUID, content_id: str
) -> LtiProctoringSetting | None:
    query = (
        select(LtiProctoringSetting)
        .where(LtiProctoringSetting.account_id == account_id, LtiProctoringSetting.content_id == content_id)
        .limit(1)
    )
    return await tx.scalar(query)


def proctoring_settings_listing(account_id: uuid.UUID) -> Select[LtiProctoringSetting]:
    return (
        select(LtiProctoringSetting)
        .where(LtiProctoringSetting.account_id == account_id)
        .order_by(LtiProctoringSetting.updated_at, LtiProctoringSetting.id)
    )
