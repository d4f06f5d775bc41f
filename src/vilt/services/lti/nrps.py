"""Names and Role Provisioning Services 2.0: import a course's members (every page, following
``Link: rel="next"``), create or find each by their ``sub``, and enroll the learners.

Members are keyed by ``user_id`` (the same value as the launch ``sub``), never by email: a
platform may withhold emails, and a member imported without one is the same Vilt user who
later launches, so their join (and so their attendance) is bound to the right enrollment."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.errors import Conflict, NotFound, ValidationFailed
from vilt.core.lti import MEDIA_MEMBERSHIPS, SCOPE_NRPS, next_link
from vilt.core.sessions import SessionMode
from vilt.services import enrollments
from vilt.services.context import Actor, ServiceContext
from vilt.services.lti import keys, people
from vilt.services.lti.hub import LtiHub, ServiceError, TokenEndpoint
from vilt.services.lti.proctoring import endpoint
from vilt.services.lti.signing import SigningKey
from vilt.storage.lti_models import LtiContext, LtiResourceLink
from vilt.storage.models import Event, Session
from vilt.storage.repositories import enrollments as enrollments_repo
from vilt.storage.repositories import events as events_repo
from vilt.storage.repositories import lti as repo

MAX_PAGES = 200


@dataclass(frozen=True)
class PreparedImport:
    link_id: uuid.UUID
    url: str
    endpoint: TokenEndpoint
    key: SigningKey


@dataclass
class ImportReport:
    members: int = 0
    pages: int = 0
    created: int = 0
    inactive: int = 0
    enrolled: int = 0
    waitlisted: int = 0
    learners_without_session: int = 0
    sessions: list[str] = field(default_factory=list)


async def prepare(
    ctx: ServiceContext, tx: AsyncSession, account_id: uuid.UUID, link_id: uuid.UUID
) -> PreparedImport:
    link = await repo.link(tx, account_id, link_id)
    if link is None:
        raise NotFound("No such LTI resource link in this account.")
    context = await tx.get(LtiContext, link.context_ref) if link.context_ref else None
    if context is None or not context.memberships_url:
        raise Conflict(
            "The platform offered no Names and Role Provisioning service for this course; enable it for "
            "the tool in the LMS and launch once."
        )
    platform = await repo.platform_by_id(tx, link.platform_id)
    assert platform is not None
    return PreparedImport(
        link.id, context.memberships_url, endpoint(platform), await keys.signing_key(ctx, tx)
    )


async def fetch_members(hub: LtiHub, job: PreparedImport) -> tuple[list[dict[str, Any]], int]:
    """Every member on every page; no database access here."""
    token = await hub.access_token(job.endpoint, [SCOPE_NRPS], job.key)
    members: list[dict[str, Any]] = []
    url: str | None = job.url
    pages = 0
    async with hub.client() as client:
        while url and pages < MAX_PAGES:
            try:
                response = await client.get(
                    url, headers={"Authorization": f"Bearer {token}", "Accept": MEDIA_MEMBERSHIPS}
                )
            except httpx.HTTPError as exc:
                raise ServiceError(f"The membership service is unreachable ({type(exc).__name__}).") from None
            if response.status_code == 401:
                hub.forget_token(job.endpoint, [SCOPE_NRPS])
            if response.status_code != 200:
                raise ServiceError(
                    f"The membership service answered HTTP {response.status_code}.",
                    status=response.status_code,
                )
            body = response.json()
            members.extend(m for m in body.get("members", []) if isinstance(m, dict))
            pages += 1
            url = next_link(response.headers.get("Link"))
    return members, pages


async def target_sessions(tx: AsyncSession, event: Event, session_id: uuid.UUID | None) -> list[Session]:
    if session_id is not None:
        session = await events_repo.get_session(tx, event.account_id, session_id)
        if session is None or session.event_id != event.id:
            raise ValidationFailed.one("session_id", "No such session in the linked event.")
        return [session]
    open_sessions = await repo.open_sessions_of_event(tx, event.id)
    if event.session_mode == SessionMode.SERIES.value:
        return open_sessions
    return open_sessions[:1]


async def apply(
    ctx: ServiceContext,
    tx: AsyncSession,
    account_id: uuid.UUID,
    link_id: uuid.UUID,
    members: list[dict[str, Any]],
    pages: int,
    actor: Actor,
    session_id: uuid.UUID | None = None,
) -> ImportReport:
    link = await repo.link(tx, account_id, link_id)
    assert link is not None
    platform = await repo.platform_by_id(tx, link.platform_id)
    assert platform is not None
    event = await _event(tx, link)
    sessions = await target_sessions(tx, event, session_id) if event is not None else []
    report = ImportReport(members=len(members), pages=pages, sessions=[str(s.id) for s in sessions])
    for member in members:
        if str(member.get("status") or "Active").lower() != "active":
            report.inactive += 1
            continue
        if not member.get("user_id"):
            continue
        person = people.Person.from_claims(member, "roles")
        user, created = await people.find_or_create_user(ctx, tx, platform, person, actor)
        report.created += created
        if not person.roles.is_learner:
            continue
        if not sessions:
            report.learners_without_session += 1
        for session in sessions:
            if await enrollments_repo.of_user(tx, session.id, user.id) is not None:
                continue
            enrollment = await enrollments.enroll(ctx, tx, session, user.id, actor)
            if enrollment.status == "waitlisted":
                report.waitlisted += 1
            else:
                report.enrolled += 1
    return report


async def _event(tx: AsyncSession, link: LtiResourceLink) -> Event | None:
    return await events_repo.get_event(tx, link.account_id, link.event_id) if link.event_id else None
