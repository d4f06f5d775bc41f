"""Who a launch or a course roster names: users found or created by their ``sub`` on the
platform (``user_identities``), then by email; the course (context) and the resource link.

A platform may withhold emails (privacy settings). Such a user still gets an address, under
the reserved ``.invalid`` domain (RFC 6761: it can never receive mail) so the account's
one-address-per-user rule holds; when the platform reveals the real address later, it replaces
the placeholder. Attendance then matches these users by the identity bound when they join
through Vilt (their enrollment's identity), never by the placeholder."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.identity import is_plausible_email, normalize_email
from vilt.core.lti import (
    AGS_ENDPOINT,
    CONTEXT,
    CUSTOM,
    NRPS_SERVICE,
    RESOURCE_LINK,
    LtiRoles,
    launch_locale,
    map_roles,
)
from vilt.i18n import from_locale
from vilt.services import users
from vilt.services.context import Actor, ServiceContext
from vilt.services.users import UserInput
from vilt.storage.lti_models import LtiContext, LtiPlatform, LtiResourceLink
from vilt.storage.models import Event, User, UserIdentity
from vilt.storage.repositories import events as events_repo
from vilt.storage.repositories import lti as repo
from vilt.storage.repositories import users as users_repo

PLACEHOLDER_SUFFIX = ".invalid"


def placeholder_email(platform: LtiPlatform, subject: str) -> str:
    digest = hashlib.sha256(f"{platform.issuer}|{subject}".encode()).hexdigest()[:20]
    host = (urlsplit(platform.issuer).hostname or "lti").replace("_", "-")
    return f"lti-{digest}@{host}{PLACEHOLDER_SUFFIX}"


def is_placeholder(email: str) -> bool:
    return email.endswith(PLACEHOLDER_SUFFIX)


@dataclass(frozen=True)
class Person:
    """A person as a platform describes them (launch claims or an NRPS member)."""

    subject: str
    email: str | None
    name: str | None
    roles: LtiRoles
    language: str | None = None
    """The language the launch asks for (``launch_presentation.locale``), if one of Vilt's."""

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any], roles_claim: str) -> Person:
        given = " ".join(str(claims.get(k) or "").strip() for k in ("given_name", "family_name")).strip()
        name = str(claims.get("name") or "").strip() or given or None
        email = claims.get("email")
        return cls(
            subject=str(claims.get("sub") or claims.get("user_id") or ""),
            email=email.strip() if isinstance(email, str) and is_plausible_email(email) else None,
            name=name,
            roles=map_roles(claims.get(roles_claim) or []),
            language=from_locale(launch_locale(claims)),
        )


async def find_or_create_user(
    ctx: ServiceContext,
    tx: AsyncSession,
    platform: LtiPlatform,
    person: Person,
    actor: Actor,
    *,
    first_language: str | None = None,
) -> tuple[User, bool]:
    """The user behind ``person``; returns it and whether it was created. The language the
    launch asks for becomes the user's setting; a new user without one gets ``first_language``
    (the browser's)."""
    account = platform.account_id
    owner = await users_repo.identity_owner(tx, account, platform.issuer, person.subject)
    created = False
    if owner is None and person.email:
        owner = await users_repo.owner_of_email(tx, account, normalize_email(person.email))
    if owner is None:
        user = await users.create(
            ctx,
            tx,
            account,
            UserInput(
                email=person.email or placeholder_email(platform, person.subject),
                display_name=(person.name or f"Learner {person.subject[:8]}")[:255],
                roles=person.roles.vilt_roles(),
                locale=person.language or from_locale(first_language),
            ),
            actor,
        )
        created = True
    else:
        user = await users.get(tx, account, owner)
        await _refresh(ctx, tx, user, person, actor)
    if await users_repo.identity_owner(tx, account, platform.issuer, person.subject) is None:
        tx.add(
            UserIdentity(account_id=account, user_id=user.id, issuer=platform.issuer, subject=person.subject)
        )
        await tx.flush()
    return user, created


async def _refresh(ctx: ServiceContext, tx: AsyncSession, user: User, person: Person, actor: Actor) -> None:
    """Take what the platform now tells: a real address for a placeholder, a name, new roles."""
    change: dict[str, Any] = {}
    if person.email and is_placeholder(user.email):
        taken = await users_repo.owner_of_email(tx, user.account_id, normalize_email(person.email))
        if taken is None:
            change["email"] = person.email
    if person.name and person.name != user.display_name and user.display_name.startswith("Learner "):
        change["display_name"] = person.name[:255]
    roles = list(dict.fromkeys([*user.roles, *person.roles.vilt_roles()]))
    if roles != list(user.roles):
        change["roles"] = roles
    if person.language and person.language != user.locale:
        change["locale"] = person.language
    if change:
        await users.update(ctx, tx, user.account_id, user.id, UserInput(**change), actor)


async def upsert_context(
    ctx: ServiceContext, tx: AsyncSession, platform: LtiPlatform, claims: Mapping[str, Any]
) -> LtiContext | None:
    raw = claims.get(CONTEXT)
    if not isinstance(raw, dict) or not raw.get("id"):
        return None
    now = ctx.clock.now()
    found = await repo.context(tx, platform.id, str(raw["id"]))
    if found is None:
        found = LtiContext(
            account_id=platform.account_id,
            platform_id=platform.id,
            context_id=str(raw["id"])[:255],
            created_at=now,
        )
        tx.add(found)
    found.label = str(raw.get("label") or "")[:255]
    found.title = str(raw.get("title") or "")[:512]
    nrps = claims.get(NRPS_SERVICE)
    if isinstance(nrps, dict) and nrps.get("context_memberships_url"):
        found.memberships_url = str(nrps["context_memberships_url"])
    ags = claims.get(AGS_ENDPOINT)
    if isinstance(ags, dict) and ags.get("lineitems"):
        found.lineitems_url = str(ags["lineitems"])
    found.updated_at = now
    await tx.flush()
    return found


async def upsert_link(
    ctx: ServiceContext,
    tx: AsyncSession,
    platform: LtiPlatform,
    claims: Mapping[str, Any],
    context: LtiContext | None,
    deployment_id: str,
) -> LtiResourceLink:
    """The resource link, bound to the event Deep Linking put in its custom parameters."""
    raw = claims.get(RESOURCE_LINK) or {}
    now = ctx.clock.now()
    link = await repo.resource_link(tx, platform.id, str(raw["id"]))
    if link is None:
        link = LtiResourceLink(
            account_id=platform.account_id,
            platform_id=platform.id,
            resource_link_id=str(raw["id"])[:255],
            ags_scopes=[],
            score_maximum=100,
            grade_sync="on_submit",
            created_at=now,
        )
        tx.add(link)
    link.title = str(raw.get("title") or link.title or "")[:512]
    link.context_ref = context.id if context else link.context_ref
    link.deployment_id = deployment_id
    ags = claims.get(AGS_ENDPOINT)
    if isinstance(ags, dict):
        if ags.get("lineitem"):
            link.lineitem_url = str(ags["lineitem"])
        link.ags_scopes = [s for s in ags.get("scope") or [] if isinstance(s, str)]
    raw_custom = claims.get(CUSTOM)
    custom: dict[str, Any] = raw_custom if isinstance(raw_custom, dict) else {}
    if link.event_id is None:
        # Deep Linking put the event (and the gradebook's maximum) in the link's custom parameters
        event = await _event(tx, platform.account_id, custom.get("vilt_event_id"))
        if event is not None:
            link.event_id = event.id
            maximum = str(custom.get("vilt_score_maximum") or "")
            if maximum.isdigit() and 1 <= int(maximum) <= 10000:
                link.score_maximum = int(maximum)
    link.updated_at = now
    await tx.flush()
    return link


async def _event(tx: AsyncSession, account_id: uuid.UUID, raw: Any) -> Event | None:
    try:
        event_id = uuid.UUID(str(raw))
    except ValueError:
        return None
    return await events_repo.get_event(tx, account_id, event_id)
