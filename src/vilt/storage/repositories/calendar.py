"""Calendar feeds and the sessions a person's schedule shows."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.storage.models import CalendarFeed, Event, Session, SessionInstructor


async def feed_of_user(tx: AsyncSession, user_id: uuid.UUID) -> CalendarFeed | None:
    return await tx.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user_id))


async def feed_by_hash(tx: AsyncSession, token_hash: str) -> CalendarFeed | None:
    return await tx.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == token_hash))


async def instructed(tx: AsyncSession, account_id: uuid.UUID, user_id: uuid.UUID) -> list[Session]:
    query = (
        select(Session)
        .join(SessionInstructor, SessionInstructor.session_id == Session.id)
        .where(Session.account_id == account_id, SessionInstructor.user_id == user_id)
        .order_by(Session.starts_at)
    )
    return list((await tx.scalars(query)).all())


async def events_of(tx: AsyncSession, event_ids: set[uuid.UUID]) -> dict[uuid.UUID, Event]:
    if not event_ids:
        return {}
    rows = await tx.scalars(select(Event).where(Event.id.in_(list(event_ids))))
    return {e.id: e for e in rows.all()}
