"""Platform registrations: which LMS (issuer + client id) may launch Vilt for an account."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.errors import Conflict, ErrorList, NotFound
from vilt.services import audit
from vilt.services.context import Actor, ServiceContext
from vilt.storage.lti_models import LtiPlatform
from vilt.storage.repositories import lti as repo

URL_FIELDS = ("auth_login_url", "token_url", "jwks_url")


@dataclass(frozen=True)
class PlatformInput:
    name: str | None = None
    issuer: str | None = None
    client_id: str | None = None
    deployment_ids: Sequence[str] | None = None
    auth_login_url: str | None = None
    token_url: str | None = None
    jwks_url: str | None = None
    token_audience: str | None = None
    product: str | None = None
    active: bool | None = None
    uef_learn_url: str | None = None
    uef_rest_key: str | None = None
    uef_rest_secret: str | None = None
    proctoring_handle: str | None = None
    provided: frozenset[str] = field(default_factory=frozenset)


def _url_ok(value: str, *, sandbox: bool) -> bool:
    parts = urlsplit(value)
    schemes = ("https", "http") if sandbox else ("https",)
    if parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1"):
        return True
    return parts.scheme in schemes and bool(parts.netloc)


def _validate(ctx: ServiceContext, data: PlatformInput, *, creating: bool) -> None:
    errors = ErrorList()
    for name in ("issuer", "client_id", *URL_FIELDS):
        value = getattr(data, name)
        if creating and not value:
            errors.add(name, "This field is required.")
        elif value is not None and len(value) > (512 if name == "issuer" else 2048):
            errors.add(name, "Too long.")
    for name in ("issuer", *URL_FIELDS, "token_audience", "uef_learn_url"):
        value = getattr(data, name)
        if value and not _url_ok(value, sandbox=ctx.sandbox):
            errors.add(name, "Give an https URL (http only for localhost or in sandbox mode).")
    if data.deployment_ids is not None:
        for index, deployment in enumerate(data.deployment_ids):
            if not deployment.strip() or len(deployment) > 255:
                errors.add(f"deployment_ids.{index}", "A deployment id is 1 to 255 characters.")
    if data.name is not None and len(data.name) > 255:
        errors.add("name", "At most 255 characters.")
    errors.raise_if_any()


async def _ensure_unique(tx: AsyncSession, issuer: str, client_id: str, own: uuid.UUID | None) -> None:
    for other in await repo.platforms_by_issuer(tx, issuer, client_id):
        if other.id != own:
            raise Conflict(
                f"A platform with issuer {issuer} and client id {client_id} is registered already "
                "(possibly in another account); a launch could not tell them apart.",
                errors=[{"field": "client_id", "reason": "Already registered with this issuer."}],
            )


def _apply(ctx: ServiceContext, platform: LtiPlatform, data: PlatformInput) -> None:
    for name in ("name", "issuer", "client_id", "auth_login_url", "token_url", "jwks_url", "product"):
        value = getattr(data, name)
        if value is not None:
            setattr(platform, name, value.strip())
    for name in ("token_audience", "uef_learn_url", "uef_rest_key", "proctoring_handle"):
        value = getattr(data, name)
        if value is not None or name in data.provided:
            setattr(platform, name, (value or "").strip() or None)
    if platform.uef_learn_url:
        platform.uef_learn_url = platform.uef_learn_url.rstrip("/")
    if data.deployment_ids is not None:
        platform.deployment_ids = list(dict.fromkeys(d.strip() for d in data.deployment_ids))
    if data.active is not None:
        platform.active = data.active
    if data.uef_rest_secret is not None:
        platform.secrets = ctx.secrets.encrypt({"uef_rest_secret": data.uef_rest_secret})


async def create(
    ctx: ServiceContext, tx: AsyncSession, account_id: uuid.UUID, data: PlatformInput, actor: Actor
) -> LtiPlatform:
    _validate(ctx, data, creating=True)
    assert data.issuer is not None
    assert data.client_id is not None
    await _ensure_unique(tx, data.issuer.strip(), data.client_id.strip(), None)
    now = ctx.clock.now()
    platform = LtiPlatform(
        account_id=account_id,
        name=(data.name or urlsplit(data.issuer).hostname or data.issuer).strip(),
        product=data.product or "",
        deployment_ids=[],
        active=True,
        secrets="",
        created_at=now,
        updated_at=now,
    )
    _apply(ctx, platform, data)
    tx.add(platform)
    await tx.flush()
    audit.record(
        ctx,
        tx,
        account_id,
        actor,
        "lti_platform.created",
        "lti_platform",
        platform.id,
        after={"issuer": platform.issuer, "client_id": platform.client_id},
    )
    return platform


async def get(tx: AsyncSession, account_id: uuid.UUID, platform_id: uuid.UUID) -> LtiPlatform:
    found = await repo.platform(tx, account_id, platform_id)
    if found is None:
        raise NotFound("No such LTI platform in this account.")
    return found


async def update(
    ctx: ServiceContext,
    tx: AsyncSession,
    account_id: uuid.UUID,
    platform_id: uuid.UUID,
    data: PlatformInput,
    actor: Actor,
) -> LtiPlatform:
    platform = await get(tx, account_id, platform_id)
    _validate(ctx, data, creating=False)
    await _ensure_unique(
        tx,
        (data.issuer or platform.issuer).strip(),
        (data.client_id or platform.client_id).strip(),
        platform.id,
    )
    before = {
        "issuer": platform.issuer,
        "client_id": platform.client_id,
        "deployments": platform.deployment_ids,
    }
    _apply(ctx, platform, data)
    platform.updated_at = ctx.clock.now()
    audit.record(
        ctx,
        tx,
        account_id,
        actor,
        "lti_platform.updated",
        "lti_platform",
        platform.id,
        before=before,
        after={
            "issuer": platform.issuer,
            "client_id": platform.client_id,
            "deployments": platform.deployment_ids,
        },
    )
    return platform


async def delete(
    ctx: ServiceContext, tx: AsyncSession, account_id: uuid.UUID, platform_id: uuid.UUID, actor: Actor
) -> None:
    platform = await get(tx, account_id, platform_id)
    audit.record(
        ctx,
        tx,
        account_id,
        actor,
        "lti_platform.deleted",
        "lti_platform",
        platform.id,
        before={"issuer": platform.issuer, "client_id": platform.client_id},
    )
    await tx.delete(platform)


def uef_secret(ctx: ServiceContext, platform: LtiPlatform) -> str | None:
    return ctx.secrets.decrypt(platform.secrets).get("uef_rest_secret") if platform.secrets else None
