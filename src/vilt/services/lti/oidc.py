"""OIDC third-party login and the strict check of the id_token a platform posts back."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.lti import Expected, LaunchRefused, check_claims
from vilt.services.context import ServiceContext
from vilt.services.lti import tickets
from vilt.services.lti.hub import LtiHub, ServiceError
from vilt.storage.lti_models import LtiPlatform
from vilt.storage.repositories import lti as repo

STATE_LIFETIME = timedelta(minutes=10)
LAUNCH_PATH = "/lti/launch"
ALLOWED_ALGORITHMS = ("RS256",)


@dataclass(frozen=True)
class Verified:
    platform: LtiPlatform
    claims: dict[str, Any]
    message_type: str
    target_link_uri: str


def _one(params: Mapping[str, str], name: str) -> str:
    value = (params.get(name) or "").strip()
    if not value:
        raise LaunchRefused("login_incomplete", f"The login request has no '{name}'; the LMS must send it.")
    return value


async def login_redirect(ctx: ServiceContext, tx: AsyncSession, params: Mapping[str, str]) -> str:
    """Answer a login initiation: remember a fresh state and nonce, send the browser to the
    platform's authorization endpoint."""
    issuer = _one(params, "iss")
    login_hint = _one(params, "login_hint")
    target = _one(params, "target_link_uri")
    client_id = (params.get("client_id") or "").strip() or None
    found = [p for p in await repo.platforms_by_issuer(tx, issuer, client_id) if p.active]
    if not found:
        raise LaunchRefused(
            "platform_unknown",
            f"No active platform with issuer {issuer}"
            + (f" and client id {client_id}" if client_id else "")
            + " is registered in Vilt; an administrator must register it first.",
            status=404,
        )
    if len(found) > 1:
        raise LaunchRefused(
            "client_id_needed",
            f"Several registrations use issuer {issuer}; the LMS must send its client_id with the login.",
        )
    platform = found[0]
    deployment = (params.get("lti_deployment_id") or "").strip()
    if deployment and deployment not in platform.deployment_ids:
        raise LaunchRefused(
            "deployment_unknown",
            f"The deployment '{deployment}' is not registered for this platform; an administrator must "
            "add it to the platform's deployment ids.",
            status=403,
        )
    base = urlsplit(ctx.base_url)
    aimed = urlsplit(target)
    if (aimed.scheme, aimed.netloc) != (base.scheme, base.netloc):
        raise LaunchRefused("target_foreign", "The target link URI does not point at this Vilt.")
    nonce = secrets.token_urlsafe(24)
    state = await tickets.issue(
        ctx,
        tx,
        "oidc",
        STATE_LIFETIME,
        account_id=platform.account_id,
        platform_id=platform.id,
        data={"nonce": nonce, "target_link_uri": target},
    )
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": ctx.url(LAUNCH_PATH),
        "login_hint": login_hint,
        "state": state,
        "nonce": nonce,
    }
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if "?" in platform.auth_login_url else "?"
    return f"{platform.auth_login_url}{separator}{urlencode(query)}"


@dataclass(frozen=True)
class StartedLogin:
    platform_id: Any
    nonce: str
    target_link_uri: str


async def consume_state(ctx: ServiceContext, tx: AsyncSession, state: str | None) -> StartedLogin:
    """Use the state once: a replayed launch finds it spent (committed before anything else)."""
    ticket = await tickets.consume(ctx, tx, "oidc", state)
    return StartedLogin(ticket.platform_id, str(ticket.data["nonce"]), str(ticket.data["target_link_uri"]))


async def verify(
    ctx: ServiceContext, tx: AsyncSession, hub: LtiHub, started: StartedLogin, id_token: str | None
) -> Verified:
    platform = await repo.platform_by_id(tx, started.platform_id)
    if platform is None or not platform.active:
        raise LaunchRefused(
            "platform_inactive", "This platform's registration is inactive or was removed.", 403
        )
    if not id_token:
        raise LaunchRefused("token_missing", "The platform posted no id_token.")
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.DecodeError:
        raise LaunchRefused("token_malformed", "The id_token is not a well-formed JWT.") from None
    if header.get("alg") not in ALLOWED_ALGORITHMS:
        raise LaunchRefused(
            "algorithm_refused", f"The id_token is signed with '{header.get('alg')}'; only RS256 is accepted."
        )
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise LaunchRefused("kid_missing", "The id_token names no key (kid) to check its signature with.")
    try:
        key = await hub.platform_key(platform.jwks_url, kid)
    except ServiceError as exc:
        raise LaunchRefused("key_set_unreachable", exc.reason, status=502) from None
    if key is None:
        raise LaunchRefused(
            "kid_unknown", f"The platform's key set has no key '{kid}', even after fetching it again.", 401
        )
    try:
        # times are checked against our own clock below; PyJWT would use the wall clock
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key,
            algorithms=list(ALLOWED_ALGORITHMS),
            options={"verify_aud": False, "verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
    except jwt.InvalidSignatureError:
        raise LaunchRefused("signature_invalid", "The id_token's signature does not verify.", 401) from None
    except jwt.InvalidTokenError:
        raise LaunchRefused("token_malformed", "The id_token cannot be decoded.") from None
    expected = Expected(platform.issuer, platform.client_id, started.nonce, list(platform.deployment_ids))
    message_type = check_claims(claims, expected, ctx.clock.now())
    return Verified(platform, claims, message_type, started.target_link_uri)
