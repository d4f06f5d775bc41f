"""The Blackboard Learn Ultra extension: Ultra LTI-launches it in a hidden iframe at sign-in;
Vilt obtains a Learn REST user token (three-legged OAuth) for the extension's
``authorization:authorize`` and serves the page whose script registers Vilt as a proctoring
service and saves an assessment's proctoring settings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.errors import ErrorList, Forbidden
from vilt.core.lti import LaunchRefused
from vilt.services.context import ServiceContext
from vilt.services.lti import platforms, tickets
from vilt.services.lti.hub import LtiHub
from vilt.storage.lti_models import LtiPlatform, LtiProctoringSetting
from vilt.storage.models import User
from vilt.storage.repositories import integrations as integrations_repo
from vilt.storage.repositories import lti as repo

CALLBACK_PATH = "/lti/uef/oauth"
AUTHORIZE_PATH = "/learn/api/public/v1/oauth2/authorizationcode"
TOKEN_PATH = "/learn/api/public/v1/oauth2/token"  # noqa: S105 (a path, not a secret)
PAGE_LIFETIME = timedelta(minutes=5)
SETTINGS_SELECTOR = "course.content.assessment.settings.proctoring.panel.settings"


async def begin(
    ctx: ServiceContext, tx: AsyncSession, platform: LtiPlatform, user: User, instructor: bool
) -> str:
    """Where to send the browser: Learn's consent for a REST user token."""
    if not platform.uef_learn_url or not platform.uef_rest_key or not platform.proctoring_handle:
        raise LaunchRefused(
            "uef_not_configured",
            "The Ultra extension is not set up for this platform: give its Learn URL, REST application key "
            "and secret, and the proctoring placement handle.",
            status=409,
        )
    state = await tickets.issue(
        ctx,
        tx,
        "uef_oauth",
        timedelta(minutes=10),
        account_id=platform.account_id,
        platform_id=platform.id,
        data={"user_id": str(user.id), "instructor": instructor},
    )
    query = urlencode(
        {
            "redirect_uri": ctx.url(CALLBACK_PATH),
            "response_type": "code",
            "client_id": platform.uef_rest_key,
            "scope": "*",
            "state": state,
        }
    )
    return f"{platform.uef_learn_url}{AUTHORIZE_PATH}?{query}"


@dataclass(frozen=True)
class TokenExchange:
    platform_id: uuid.UUID
    user_id: uuid.UUID
    instructor: bool
    url: str
    key: str
    secret: str
    code: str
    redirect_uri: str


async def prepare_exchange(
    ctx: ServiceContext, tx: AsyncSession, state: str | None, code: str | None
) -> TokenExchange:
    ticket = await tickets.consume(ctx, tx, "uef_oauth", state)
    if not code:
        raise LaunchRefused("uef_consent_refused", "Learn did not grant Vilt a REST token (no code).", 403)
    assert ticket.platform_id is not None
    platform = await repo.platform_by_id(tx, ticket.platform_id)
    assert platform is not None
    secret = platforms.uef_secret(ctx, platform)
    if not secret or not platform.uef_learn_url or not platform.uef_rest_key:
        raise LaunchRefused("uef_not_configured", "The Learn REST application secret is not set.", 409)
    return TokenExchange(
        platform.id,
        uuid.UUID(str(ticket.data["user_id"])),
        bool(ticket.data.get("instructor")),
        f"{platform.uef_learn_url}{TOKEN_PATH}",
        platform.uef_rest_key,
        secret,
        code,
        ctx.url(CALLBACK_PATH),
    )


async def exchange(hub: LtiHub, job: TokenExchange) -> str:
    async with hub.client() as client:
        try:
            response = await client.post(
                job.url,
                data={"grant_type": "authorization_code", "code": job.code, "redirect_uri": job.redirect_uri},
                auth=(job.key, job.secret),
            )
        except httpx.HTTPError as exc:
            raise LaunchRefused(
                "uef_token_failed", f"Learn is unreachable ({type(exc).__name__}).", 502
            ) from None
    if response.status_code != 200:
        raise LaunchRefused(
            "uef_token_failed", f"Learn refused the REST token exchange (HTTP {response.status_code}).", 502
        )
    try:
        return str(response.json()["access_token"])
    except (ValueError, KeyError):
        raise LaunchRefused("uef_token_failed", "Learn's token answer has no access_token.", 502) from None


async def issue_page(ctx: ServiceContext, tx: AsyncSession, job: TokenExchange, learn_token: str) -> str:
    platform = await repo.platform_by_id(tx, job.platform_id)
    assert platform is not None
    return await tickets.issue(
        ctx,
        tx,
        "uef_page",
        PAGE_LIFETIME,
        account_id=platform.account_id,
        platform_id=platform.id,
        data={
            "user_id": str(job.user_id),
            "instructor": job.instructor,
            "learn_token": ctx.secrets.encrypt({"token": learn_token}),
        },
    )


@dataclass(frozen=True)
class SettingsInput:
    course_id: str | None
    content_id: str | None
    enabled: bool | None
    live_proctoring: bool = False
    integration_id: uuid.UUID | None = None


async def save_settings(
    ctx: ServiceContext,
    tx: AsyncSession,
    account_id: uuid.UUID,
    platform_id: uuid.UUID | None,
    data: SettingsInput,
    *,
    by: str,
    allowed: bool = True,
) -> LtiProctoringSetting:
    if not allowed:
        raise Forbidden("Only instructors and administrators can change proctoring settings.")
    errors = ErrorList()
    if not data.course_id:
        errors.add("course_id", "The course id (courseId or courseUuid) is missing.")
    if not data.content_id:
        errors.add("content_id", "The assessment's content id is missing.")
    if data.enabled is None:
        errors.add("enabled", "Say whether proctoring is enabled.")
    for name in ("course_id", "content_id"):
        value = getattr(data, name)
        if value and len(value) > 255:
            errors.add(name, "At most 255 characters.")
    if data.integration_id is not None and await _integration_missing(tx, account_id, data.integration_id):
        errors.add("integration_id", "No such integration in this account.")
    errors.raise_if_any()
    assert data.course_id is not None
    assert data.content_id is not None
    now = ctx.clock.now()
    found = await repo.proctoring_setting(tx, account_id, data.course_id, data.content_id)
    if found is None:
        found = LtiProctoringSetting(
            account_id=account_id, course_id=data.course_id, content_id=data.content_id
        )
        tx.add(found)
    found.platform_id = platform_id or found.platform_id
    found.enabled = bool(data.enabled)
    found.live_proctoring = data.live_proctoring
    found.integration_id = data.integration_id
    found.updated_by = by[:255]
    found.updated_at = now
    await tx.flush()
    return found


async def _integration_missing(tx: AsyncSession, account_id: uuid.UUID, integration_id: uuid.UUID) -> bool:
    return await integrations_repo.get(tx, account_id, integration_id) is None
