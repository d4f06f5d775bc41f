"""After a verified id_token: who the user is, what the launch is for, where they land."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.lti import (
    DEEP_LINKING_REQUEST,
    DEPLOYMENT_ID,
    END_ASSESSMENT,
    RESOURCE_LINK_REQUEST,
    ROLES,
    START_PROCTORING,
    LaunchRefused,
)
from vilt.services.context import Actor, ServiceContext
from vilt.services.lti import deep_linking, landing, people, proctor_room, proctoring, uef
from vilt.services.lti.oidc import Verified
from vilt.storage.models import User
from vilt.storage.repositories import events as events_repo

UEF_PATH = "/lti/uef"


@dataclass(frozen=True)
class Landing:
    user: User
    redirect: str
    session_data: dict[str, Any] = field(default_factory=dict)
    sign_in: bool = True


def lti_actor(verified: Verified) -> Actor:
    return Actor("lti", str(verified.platform.id), verified.platform.name)


async def land(
    ctx: ServiceContext, tx: AsyncSession, verified: Verified, *, browser_language: str | None = None
) -> Landing:
    """``browser_language``: the language a user created by this launch gets when the launch
    names no locale (what the browser asks for)."""
    platform, claims = verified.platform, verified.claims
    actor = lti_actor(verified)
    person = people.Person.from_claims(claims, ROLES)
    user, _ = await people.find_or_create_user(
        ctx, tx, platform, person, actor, first_language=browser_language
    )
    deployment = str(claims[DEPLOYMENT_ID])
    base = {"platform_id": str(platform.id), "roles": person.roles.vilt_roles()}
    if verified.message_type == DEEP_LINKING_REQUEST:
        if not person.roles.is_instructor:
            raise LaunchRefused("not_instructor", "Only instructors can add Vilt events to a course.", 403)
        context = await people.upsert_context(ctx, tx, platform, claims)
        ticket = await deep_linking.open_picker(ctx, tx, platform, claims, user, context)
        return Landing(user, f"/lti/deep-link/{ticket}", base)
    if verified.message_type == START_PROCTORING:
        attempt = await proctoring.start(ctx, tx, platform, claims, user, deployment)
        await proctor_room.assign(ctx, tx, attempt, actor)
        return Landing(user, f"/lti/proctoring/{attempt.id}", {**base, "attempt_id": str(attempt.id)})
    if verified.message_type == END_ASSESSMENT:
        attempt = await proctoring.end(ctx, tx, platform, claims, user)
        return Landing(user, f"/lti/proctoring/{attempt.id}/ended", {**base, "attempt_id": str(attempt.id)})
    assert verified.message_type == RESOURCE_LINK_REQUEST
    if urlsplit(verified.target_link_uri).path.rstrip("/") == UEF_PATH:
        redirect = await uef.begin(ctx, tx, platform, user, person.roles.is_instructor)
        return Landing(user, redirect, base, sign_in=False)
    context = await people.upsert_context(ctx, tx, platform, claims)
    link = await people.upsert_link(ctx, tx, platform, claims, context, deployment)
    data = {**base, "link_id": str(link.id), "instructor": person.roles.is_instructor}
    if not person.roles.is_instructor and link.event_id is not None:
        event = await events_repo.get_event(tx, platform.account_id, link.event_id)
        if event is not None:
            await landing.auto_enroll(ctx, tx, event, user, actor)
    return Landing(user, f"/lti/links/{link.id}", data)
