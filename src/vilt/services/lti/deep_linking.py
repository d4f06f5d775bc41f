"""Deep Linking 2.0: an instructor picks an event (or creates one with its first session) and
Vilt answers the LMS with a signed ``ltiResourceLink`` carrying a ``lineItem``."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.errors import ErrorList, NotFound, ValidationFailed
from vilt.core.lti import (
    DEEP_LINKING_RESPONSE,
    DEPLOYMENT_ID,
    DL_CONTENT_ITEMS,
    DL_DATA,
    DL_MSG,
    DL_SETTINGS,
    LTI_VERSION,
    MESSAGE_TYPE,
    VERSION,
)
from vilt.services import events, sessions
from vilt.services.context import Actor, ServiceContext
from vilt.services.events import EventInput
from vilt.services.lti import keys, signing, tickets
from vilt.services.lti.oidc import LAUNCH_PATH
from vilt.services.sessions import SessionInput
from vilt.storage.lti_models import LtiContext, LtiPlatform
from vilt.storage.models import Event, User
from vilt.storage.repositories import lti as repo

PICKER_LIFETIME = timedelta(hours=1)


async def open_picker(
    ctx: ServiceContext,
    tx: AsyncSession,
    platform: LtiPlatform,
    claims: dict[str, Any],
    user: User,
    context: LtiContext | None,
) -> str:
    settings = claims[DL_SETTINGS]
    return await tickets.issue(
        ctx,
        tx,
        "deeplink",
        PICKER_LIFETIME,
        account_id=platform.account_id,
        platform_id=platform.id,
        data={
            "user_id": str(user.id),
            "deployment_id": claims[DEPLOYMENT_ID],
            "return_url": settings["deep_link_return_url"],
            "data": settings.get("data"),
            "accept_lineitem": settings.get("accept_lineitem", True),
            "title": settings.get("title") or "",
            "context_title": context.title if context else "",
        },
    )


@dataclass(frozen=True)
class NewEvent:
    title: str
    starts_at: datetime | None
    time_zone: str
    duration_minutes: int | None
    integration_id: uuid.UUID | None
    description: str = ""


@dataclass(frozen=True)
class Answer:
    return_url: str
    jwt: str
    event: Event


async def respond(
    ctx: ServiceContext,
    tx: AsyncSession,
    token: str,
    user: User,
    *,
    event_id: uuid.UUID | None,
    new: NewEvent | None,
    score_maximum: int = 100,
) -> Answer:
    ticket = await tickets.peek(ctx, tx, "deeplink", token)
    if ticket.data.get("user_id") != str(user.id):
        raise NotFound("This selection belongs to another sign-in; open it again from the LMS.")
    assert ticket.platform_id is not None
    platform = await repo.platform_by_id(tx, ticket.platform_id)
    assert platform is not None
    actor = Actor("user", str(user.id), user.display_name)
    if score_maximum < 1 or score_maximum > 10000:
        raise ValidationFailed.one("score_maximum", "Give a maximum score between 1 and 10000.")
    if event_id is not None:
        event = await events.get(tx, platform.account_id, event_id)
    elif new is not None:
        event = await _create(ctx, tx, platform.account_id, new, user, actor)
    else:
        raise ValidationFailed.one("event_id", "Pick an event or describe a new one.")
    ticket.used_at = ctx.clock.now()
    item: dict[str, Any] = {
        "type": "ltiResourceLink",
        "title": event.title,
        "text": event.description or "",
        "url": ctx.url(LAUNCH_PATH),
        "custom": {"vilt_event_id": str(event.id), "vilt_score_maximum": str(score_maximum)},
    }
    if ticket.data.get("accept_lineitem", True):
        item["lineItem"] = {
            "scoreMaximum": score_maximum,
            "label": event.title,
            "resourceId": f"vilt-event-{event.id}",
            "tag": "vilt-completion",
        }
    now = ctx.clock.now()
    claims: dict[str, Any] = {
        "iss": platform.client_id,
        "aud": platform.issuer,
        "azp": platform.client_id,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        "nonce": secrets.token_urlsafe(16),
        MESSAGE_TYPE: DEEP_LINKING_RESPONSE,
        VERSION: LTI_VERSION,
        DEPLOYMENT_ID: ticket.data["deployment_id"],
        DL_CONTENT_ITEMS: [item],
        DL_MSG: f"Added the Vilt event '{event.title}'.",
    }
    if ticket.data.get("data") is not None:
        claims[DL_DATA] = ticket.data["data"]
    signed = signing.sign(await keys.signing_key(ctx, tx), claims)
    return Answer(str(ticket.data["return_url"]), signed, event)


async def _create(
    ctx: ServiceContext, tx: AsyncSession, account_id: uuid.UUID, new: NewEvent, user: User, actor: Actor
) -> Event:
    errors = ErrorList()
    if new.starts_at is None:
        errors.add("starts_at", "Give the first session's start.")
    if new.duration_minutes is None:
        errors.add("duration_minutes", "Give the first session's duration in minutes.")
    errors.raise_if_any()
    event = await events.create(
        ctx, tx, account_id, EventInput(title=new.title, description=new.description), actor
    )
    await sessions.create(
        ctx,
        tx,
        event,
        SessionInput(
            starts_at=new.starts_at,
            time_zone=new.time_zone,
            duration_minutes=new.duration_minutes,
            integration_id=new.integration_id,
            instructor_ids=[user.id],
        ),
        actor,
    )
    return event
