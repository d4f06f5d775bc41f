"""LTI Dynamic Registration 1.0: an administrator gives the LMS one URL (with a one-time token
that names the Vilt account); the LMS opens it with its ``openid_configuration`` and a
``registration_token``; Vilt reads the configuration and registers itself."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.lti import (
    DEEP_LINKING_REQUEST,
    RESOURCE_LINK_REQUEST,
    SCOPE_LINEITEM,
    SCOPE_NRPS,
    SCOPE_RESULT_READONLY,
    SCOPE_SCORE,
    START_PROCTORING,
    LaunchRefused,
)
from vilt.services.context import Actor, ServiceContext
from vilt.services.lti import platforms, tickets
from vilt.services.lti.hub import LtiHub
from vilt.services.lti.oidc import LAUNCH_PATH
from vilt.services.lti.platforms import PlatformInput
from vilt.storage.lti_models import LtiPlatform

LINK_LIFETIME = timedelta(days=7)
PLATFORM_CONFIG = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"
LOGIN_PATH = "/lti/login"
JWKS_PATH = "/lti/jwks"
CLAIMS = ["iss", "sub", "name", "given_name", "family_name", "email"]
DEEP_LINK_PLACEMENTS = ("ContentArea", "link_selection", "assignment_selection")


async def create_link(ctx: ServiceContext, tx: AsyncSession, account_id: uuid.UUID) -> tuple[str, Any]:
    token = await tickets.issue(ctx, tx, "registration", LINK_LIFETIME, account_id=account_id)
    return ctx.url(f"/lti/register/{token}"), ctx.clock.now() + LINK_LIFETIME


@dataclass(frozen=True)
class PlatformConfig:
    url: str
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    audience: str | None
    product: str
    messages: list[dict[str, Any]]


async def read_config(hub: LtiHub, url: str, registration_token: str | None) -> PlatformConfig:
    headers = {"Accept": "application/json"}
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    async with hub.client() as client:
        try:
            response = await client.get(url, headers=headers)
        except httpx.HTTPError as exc:
            raise LaunchRefused(
                "config_unreachable",
                f"The LMS configuration at {url} is unreachable ({type(exc).__name__}).",
                502,
            ) from None
    if response.status_code != 200:
        raise LaunchRefused(
            "config_unreachable", f"The LMS configuration answered HTTP {response.status_code}.", 502
        )
    try:
        body = response.json()
    except ValueError:
        raise LaunchRefused("config_invalid", "The LMS configuration is not JSON.", 502) from None
    missing = [
        k
        for k in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")
        if not isinstance(body.get(k), str) or not body.get(k)
    ]
    if missing:
        raise LaunchRefused("config_invalid", f"The LMS configuration lacks {', '.join(missing)}.", 502)
    if urlsplit(body["issuer"]).hostname != urlsplit(url).hostname:
        raise LaunchRefused(
            "config_issuer_mismatch",
            "The configuration's issuer is not on the same host as the configuration URL; refused.",
        )
    extra = body.get(PLATFORM_CONFIG) if isinstance(body.get(PLATFORM_CONFIG), dict) else {}
    return PlatformConfig(
        url=url,
        issuer=body["issuer"],
        authorization_endpoint=body["authorization_endpoint"],
        token_endpoint=body["token_endpoint"],
        jwks_uri=body["jwks_uri"],
        registration_endpoint=body["registration_endpoint"],
        audience=body.get("authorization_server")
        if isinstance(body.get("authorization_server"), str)
        else None,
        product=str(extra.get("product_family_code") or ""),
        messages=[m for m in extra.get("messages_supported") or [] if isinstance(m, dict)],
    )


def tool_configuration(ctx: ServiceContext, config: PlatformConfig) -> dict[str, Any]:
    """The registration request: OIDC client fields plus the LTI tool configuration."""
    supported = {str(m.get("type")): m for m in config.messages}
    launch = ctx.url(LAUNCH_PATH)
    messages: list[dict[str, Any]] = []
    if not supported or DEEP_LINKING_REQUEST in supported:
        offered = supported.get(DEEP_LINKING_REQUEST, {}).get("placements") or []
        placements = [p for p in offered if p in DEEP_LINK_PLACEMENTS] or None
        message: dict[str, Any] = {
            "type": DEEP_LINKING_REQUEST,
            "target_link_uri": launch,
            "label": "Vilt live session",
        }
        if placements:
            message["placements"] = placements
        messages.append(message)
    if START_PROCTORING in supported:
        messages.append({"type": START_PROCTORING, "target_link_uri": launch, "label": "Vilt proctoring"})
    host = urlsplit(ctx.base_url).netloc
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": ctx.url(LOGIN_PATH),
        "redirect_uris": [launch],
        "client_name": "Vilt",
        "jwks_uri": ctx.url(JWKS_PATH),
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join([SCOPE_LINEITEM, SCOPE_RESULT_READONLY, SCOPE_SCORE, SCOPE_NRPS]),
        TOOL_CONFIG: {
            "domain": host,
            "description": "Live virtual classroom sessions with attendance and completion.",
            "target_link_uri": launch,
            "claims": CLAIMS,
            "messages": messages or [{"type": RESOURCE_LINK_REQUEST, "target_link_uri": launch}],
        },
    }


async def register(
    ctx: ServiceContext, hub: LtiHub, config: PlatformConfig, registration_token: str | None
) -> dict[str, Any]:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    async with hub.client() as client:
        try:
            response = await client.post(
                config.registration_endpoint, json=tool_configuration(ctx, config), headers=headers
            )
        except httpx.HTTPError as exc:
            raise LaunchRefused(
                "registration_failed",
                f"The LMS registration endpoint is unreachable ({type(exc).__name__}).",
                502,
            ) from None
    if response.status_code not in (200, 201):
        raise LaunchRefused(
            "registration_failed", f"The LMS refused the registration (HTTP {response.status_code}).", 502
        )
    try:
        answer: dict[str, Any] = response.json()
    except ValueError:
        raise LaunchRefused("registration_failed", "The LMS registration answer is not JSON.", 502) from None
    if not answer.get("client_id"):
        raise LaunchRefused("registration_failed", "The LMS registration answer has no client_id.", 502)
    return answer


async def save(
    ctx: ServiceContext, tx: AsyncSession, token: str, config: PlatformConfig, answer: dict[str, Any]
) -> LtiPlatform:
    ticket = await tickets.consume(ctx, tx, "registration", token)
    assert ticket.account_id is not None
    tool = answer.get(TOOL_CONFIG)
    deployment = tool.get("deployment_id") if isinstance(tool, dict) else None
    return await platforms.create(
        ctx,
        tx,
        ticket.account_id,
        PlatformInput(
            name=urlsplit(config.issuer).hostname or config.issuer,
            issuer=config.issuer,
            client_id=str(answer["client_id"]),
            deployment_ids=[str(deployment)] if deployment else [],
            auth_login_url=config.authorization_endpoint,
            token_url=config.token_endpoint,
            jwks_url=config.jwks_uri,
            token_audience=config.audience,
            product=config.product,
        ),
        Actor("lti", "dynamic-registration", config.issuer),
    )
