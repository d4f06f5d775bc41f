"""Linking an integration through the provider's consent page ("Sign in to Microsoft").

``start`` gives the consent URL with a ``state`` that only Vilt can read (encrypted with the
secret key: which integration, which revision of its settings, until when). The provider sends the
browser back to the callback with a code; ``finish`` runs in three steps so the provider call is
outside any transaction: ``prepare`` reads and checks the state, ``exchange`` redeems the code,
``store`` keeps the grant encrypted and shows who signed in."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.errors import Conflict, ValidationFailed
from vilt.providers.base import ConnectionState, Linking, LinkResult, Provider, ProviderSettings
from vilt.providers.errors import ProviderError
from vilt.services import audit, integrations
from vilt.services.context import Actor, ServiceContext
from vilt.services.provider_hub import provider_info
from vilt.services.provider_state import join_secrets, split_secrets
from vilt.storage.models import Integration
from vilt.storage.repositories import integrations as repo
from vilt.storage.secrets import SecretKeyError

log = structlog.get_logger(__name__)

STATE_LIFETIME = timedelta(minutes=15)
CALLBACK_PATH = "/api/v1/oauth/callback"


@dataclass(frozen=True)
class LinkStart:
    authorize_url: str
    expires_at: datetime


@dataclass(frozen=True)
class LinkJob:
    integration_id: uuid.UUID
    account_id: uuid.UUID
    kind: str
    revision: int
    settings: ProviderSettings
    proxy: str | None


def redirect_uri(ctx: ServiceContext) -> str:
    return ctx.url(CALLBACK_PATH)


def _linker(ctx: ServiceContext, kind: str, settings: ProviderSettings, proxy: str | None) -> Provider:
    adapter = ctx.providers.build(kind, settings, proxy)
    if not isinstance(adapter, Linking):
        raise Conflict(f"{adapter.info.title} has no consent page.")
    return adapter


async def start(
    ctx: ServiceContext, tx: AsyncSession, account_id: uuid.UUID, integration_id: uuid.UUID
) -> LinkStart:
    integration = await integrations.get(tx, account_id, integration_id)
    settings = ctx.providers.settings_of(integration)
    info = provider_info(integration.kind)
    if not integrations.by_consent(integration.kind, settings):
        raise Conflict(
            f"{info.title} is not linked through a consent page with these settings; use check instead."
        )
    expires = ctx.clock.now() + STATE_LIFETIME
    state = ctx.secrets.encrypt(
        {
            "integration": str(integration.id),
            "account": str(integration.account_id),
            "revision": str(integration.revision),
            "expires": expires.isoformat(),
            "nonce": secrets.token_urlsafe(8),
        }
    )
    linker = _linker(ctx, integration.kind, settings, integration.egress_proxy_url)
    try:
        assert isinstance(linker, Linking)
        url = linker.authorize_url(state, redirect_uri(ctx))
    finally:
        await linker.aclose()
    log.info("integration.link_started", integration=str(integration.id))
    return LinkStart(url, expires)


async def prepare(ctx: ServiceContext, tx: AsyncSession, state: str) -> LinkJob:
    try:
        data = ctx.secrets.decrypt(state)
    except (SecretKeyError, ValueError):
        raise ValidationFailed.one(
            "state", "This sign-in was not started by Vilt, or was tampered with."
        ) from None
    try:
        expires = datetime.fromisoformat(data["expires"])
        integration_id = uuid.UUID(data["integration"])
    except (KeyError, ValueError):
        raise ValidationFailed.one("state", "This sign-in was not started by Vilt.") from None
    if ctx.clock.now() > expires:
        raise ValidationFailed.one("state", "This sign-in took too long (over 15 minutes); start it again.")
    integration = await repo.by_id(tx, integration_id)
    if integration is None or str(integration.account_id) != data.get("account"):
        raise ValidationFailed.one("state", "The integration of this sign-in no longer exists.")
    if str(integration.revision) != data.get("revision"):
        raise Conflict("The integration's settings changed while signing in; start the sign-in again.")
    return LinkJob(
        integration.id,
        integration.account_id,
        integration.kind,
        integration.revision,
        ctx.providers.settings_of(integration),
        integration.egress_proxy_url,
    )


async def exchange(ctx: ServiceContext, job: LinkJob, code: str) -> LinkResult:
    """Redeem the code with the provider (no transaction is open)."""
    linker = _linker(ctx, job.kind, job.settings, job.proxy)
    try:
        assert isinstance(linker, Linking)
        return await linker.complete_link(code, redirect_uri(ctx))
    except ProviderError as exc:
        raise ValidationFailed.one("code", f"The sign-in could not be completed: {exc.reason}") from None
    finally:
        await linker.aclose()


async def store(
    ctx: ServiceContext, tx: AsyncSession, job: LinkJob, result: LinkResult, actor: Actor
) -> Integration:
    integration = await repo.by_id(tx, job.integration_id)
    if integration is None:
        raise ValidationFailed.one("state", "The integration of this sign-in no longer exists.")
    if integration.revision != job.revision:
        raise Conflict("The integration's settings changed while signing in; start the sign-in again.")
    stored, _ = split_secrets(ctx.secrets.decrypt(integration.secrets))
    integration.secrets = ctx.secrets.encrypt(join_secrets(stored, result.grant))
    now = ctx.clock.now()
    integration.connection_state = ConnectionState.LINKED.value
    integration.state_reason = None
    integration.account_label = result.account_label[:255]
    integration.linked_until = result.linked_until
    integration.checked_at = now
    integration.updated_at = now
    # cached adapters are rebuilt with the new grant
    integration.revision += 1
    await repo.retry_failed_sessions(tx, integration.id, now)
    audit.record(
        ctx,
        tx,
        integration.account_id,
        actor,
        "integration.linked",
        "integration",
        integration.id,
        after={"account_label": integration.account_label},
    )
    log.info("integration.linked", integration=str(integration.id))
    return integration
