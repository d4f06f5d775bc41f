"""Calendars: each session as ``.ics``, and each person's schedule as a feed at a secret URL
(a random token per user, looked up by its hash, regenerable; no API key needed to read it)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.calendar import CalendarEntry, feed, session_calendar
from vilt.core.errors import NotFound
from vilt.services import audit, users
from vilt.services.context import Actor, ServiceContext
from vilt.storage.models import CalendarFeed, Event, Session, User
from vilt.storage.repositories import calendar as repo
from vilt.storage.repositories import enrollments as enrollments_repo

ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"


@dataclass(frozen=True)
class FeedLink:
    url: str
    created_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_url(ctx: ServiceContext, token: str) -> str:
    return ctx.url(f"/api/v1/calendar/{token}.ics")


def entry(
    ctx: ServiceContext, session: Session, event: Event | None, *, tentative: bool = False
) -> CalendarEntry:
    description = event.description if event else ""
    if event and event.trainer:
        description = f"{description}\n\nTrainer: {event.trainer}".strip()
    host = urlsplit(ctx.base_url).hostname or "vilt.invalid"
    return CalendarEntry(
        uid=f"{session.id}@vilt",
        title=session.title,
        starts_at=session.starts_at,
        ends_at=session.starts_at + timedelta(minutes=session.duration_minutes),
        time_zone=session.time_zone,
        sequence=session.sequence,
        canceled=session.state == "canceled",
        updated_at=session.updated_at,
        description=description,
        location=event.location if event else "",
        tentative=tentative,
        organizer_name=(event.trainer if event and event.trainer else "Vilt"),
        organizer_email=f"no-reply@{host}",
    )


async def session_ics(ctx: ServiceContext, tx: AsyncSession, session: Session) -> bytes:
    event = await tx.get(Event, session.event_id)
    return session_calendar(entry(ctx, session, event), ctx.clock.now())


async def schedule_ics(ctx: ServiceContext, tx: AsyncSession, user: User) -> bytes:
    """What the person attends (registered; waitlisted as tentative) and what they teach."""
    rows = [
        (e, s)
        for e, s in await enrollments_repo.transcript(tx, user.account_id, user.id)
        if e.status != "canceled"
    ]
    taught = await repo.instructed(tx, user.account_id, user.id)
    events = await repo.events_of(tx, {s.event_id for _, s in rows} | {s.event_id for s in taught})
    entries: dict[uuid.UUID, CalendarEntry] = {}
    for session in taught:
        entries[session.id] = entry(ctx, session, events.get(session.event_id))
    for enrollment, session in rows:
        if session.id not in entries:
            waiting = enrollment.status == "waitlisted"
            entries[session.id] = entry(ctx, session, events.get(session.event_id), tentative=waiting)
    ordered = sorted(entries.values(), key=lambda e: e.starts_at)
    return feed(ordered, ctx.clock.now(), f"{user.display_name}: sessions")


async def feed_link(
    ctx: ServiceContext, tx: AsyncSession, account_id: uuid.UUID, user_id: uuid.UUID
) -> FeedLink:
    user = await users.get(tx, account_id, user_id)
    row = await repo.feed_of_user(tx, user.id)
    if row is None:
        raise NotFound("This user has no calendar feed yet; create one with POST.")
    return FeedLink(feed_url(ctx, ctx.secrets.decrypt(row.token)["token"]), row.created_at)


async def new_feed(
    ctx: ServiceContext, tx: AsyncSession, account_id: uuid.UUID, user_id: uuid.UUID, actor: Actor
) -> FeedLink:
    """A new secret URL; the previous one (if any) stops working at once."""
    user = await users.get(tx, account_id, user_id)
    token = secrets.token_urlsafe(32)
    now = ctx.clock.now()
    row = await repo.feed_of_user(tx, user.id)
    if row is None:
        row = CalendarFeed(account_id=account_id, user_id=user.id, token_hash="", token="", created_at=now)
        tx.add(row)
    row.token_hash, row.token, row.created_at = _hash(token), ctx.secrets.encrypt({"token": token}), now
    await tx.flush()
    audit.record(ctx, tx, account_id, actor, "calendar_feed.created", "user", user.id)
    return FeedLink(feed_url(ctx, token), now)


async def revoke_feed(
    ctx: ServiceContext, tx: AsyncSession, account_id: uuid.UUID, user_id: uuid.UUID, actor: Actor
) -> None:
    user = await users.get(tx, account_id, user_id)
    row = await repo.feed_of_user(tx, user.id)
    if row is None:
        raise NotFound("This user has no calendar feed.")
    await tx.delete(row)
    audit.record(ctx, tx, account_id, actor, "calendar_feed.revoked", "user", user.id)


async def user_by_token(tx: AsyncSession, token: str) -> User:
    row = await repo.feed_by_hash(tx, _hash(token))
    user = await tx.get(User, row.user_id) if row is not None else None
    if user is None:
        raise NotFound("No calendar at this address; it may have been replaced by a new one.")
    return user
