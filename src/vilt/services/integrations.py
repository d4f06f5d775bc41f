"""Linking provider accounts: settings checked before saving, secrets encrypted, connection
state kept, and the account policies enforced."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.errors import Conflict, ErrorList, FieldError, NotFound, ValidationFailed
from vilt.providers.base import Capability, CheckResult, ConnectionState, ProviderSettings
from vilt.services import audit
from vilt.services.context import Actor, ServiceContext
from vilt.services.provider_hub import parse_settings, provider_info
from vilt.services.provider_state import join_secrets, split_secrets
from vilt.storage.models import Integration
from vilt.storage.repositories import accounts as accounts_repo
from vilt.storage.repositories import integrations as repo

log = structlog.get_logger(__name__)

POLICIES_NON_ATTENDEE = ("unchanged", "failed")
POLICIES_WALK_IN = ("ignore", "add")


@dataclass(frozen=True)
class IntegrationInput:
    kind: str | None = None
    name: str | None = None
    settings: dict[str, Any] | None = None
    active: bool | None = None
    max_learners: int | None = None
    learner_lead_minutes: int | None = None
    instructor_lead_minutes: int | None = None
    auto_end_minutes: int | None = None
    provider_notifications: bool | None = None
    non_attendee_policy: str | None = None
    walk_in_policy: str | None = None
    info_url: str | None = None
    description: str | None = None
    tags: list[str] | None = None
    owner_team_id: uuid.UUID | None = None
    available_team_ids: list[uuid.UUID] | None = None
    egress_proxy_url: str | None = None
    provided: frozenset[str] = field(default_factory=frozenset)
    """Field names the caller set (so None can mean "clear")."""


def _validate_defaults(data: IntegrationInput, errors: ErrorList) -> None:
    if data.name is not None and not 1 <= len(data.name.strip()) <= 255:
        errors.add("name", "A name has 1 to 255 characters.")
    if data.max_learners is not None and data.max_learners < 1:
        errors.add("max_learners", "Max learners must be at least 1, or empty for unlimited.")
    for name in ("learner_lead_minutes", "instructor_lead_minutes"):
        value = getattr(data, name)
        if value is not None and not 0 <= value <= 24 * 60:
            errors.add(name, "A lead time is 0 to 1440 minutes.")
    if data.auto_end_minutes is not None and not 1 <= data.auto_end_minutes <= 24 * 60:
        errors.add("auto_end_minutes", "Auto-end is 1 to 1440 minutes after the scheduled end.")
    if data.non_attendee_policy is not None and data.non_attendee_policy not in POLICIES_NON_ATTENDEE:
        errors.add("non_attendee_policy", f"Use one of: {', '.join(POLICIES_NON_ATTENDEE)}.")
    if data.walk_in_policy is not None and data.walk_in_policy not in POLICIES_WALK_IN:
        errors.add("walk_in_policy", f"Use one of: {', '.join(POLICIES_WALK_IN)}.")
    for name in ("info_url", "egress_proxy_url"):
        value = getattr(data, name)
        if value and not str(value).startswith(("http://", "https://")):
            errors.add(name, "Give a full http(s):// address.")


async def _validate_teams(tx: AsyncSession, account_id: uuid.UUID, data: IntegrationInput) -> None:
    errors = ErrorList()
    known = {t.id for t in await accounts_repo.teams(tx, account_id)}
    if data.owner_team_id is not None and data.owner_team_id not in known:
        errors.add("owner_team_id", "No such team in this account.")
    for index, team_id in enumerate(data.available_team_ids or []):
        if team_id not in known:
            errors.add(f"available_team_ids.{index}", "No such team in this account.")
    errors.raise_if_any()


def _check_failure(result: CheckResult) -> ValidationFailed:
    where = f"settings.{result.field}" if result.field else "settings"
    return ValidationFailed(FieldError(where, f"Check failed: {result.reason}"))


async def _ensure_unique_account(
    tx: AsyncSession, kind: str, settings: ProviderSettings, account_id: uuid.UUID, own_id: uuid.UUID | None
) -> str:
    key = settings.account_key()
    other = await repo.by_account_key(tx, kind, key)
    if other is not None and other.id != own_id:
        where = f"integration '{other.name}'" if other.account_id == account_id else "another integration"
        raise Conflict(
            f"This {provider_info(kind).title} account is already linked to {where}; "
            "one provider account can be linked to one integration only.",
            field="settings",
        )
    return key


async def _ensure_policy(
    tx: AsyncSession, account_id: uuid.UUID, kind: str, own_id: uuid.UUID | None
) -> None:
    account = await accounts_repo.get(tx, account_id)
    if account is None or not account.one_webinar_service:
        return
    others = await repo.active_kinds(tx, account_id)
    if own_id is not None:
        own = await repo.by_id(tx, own_id)
        if own is not None and own.active:
            others.discard(own.kind)
    others.discard(kind)
    if others:
        raise Conflict(
            "This account uses one webinar service at a time: deactivate "
            f"{', '.join(sorted(others))} before activating {kind}.",
            field="active",
        )


def by_consent(kind: str, settings: ProviderSettings) -> bool:
    """Linked by a sign-in on the provider's consent page (not checked before saving)."""
    declared = settings.links_by_consent()
    return Capability.OAUTH_LINK in provider_info(kind).capabilities if declared is None else declared


async def check_settings(
    ctx: ServiceContext,
    kind: str,
    settings: ProviderSettings,
    proxy: str | None = None,
    grant: dict[str, str] | None = None,
) -> CheckResult:
    adapter = ctx.providers.build(kind, settings, proxy, grant)
    try:
        return await adapter.check()
    finally:
        await adapter.aclose()


_ALWAYS_SET = (
    "learner_lead_minutes",
    "instructor_lead_minutes",
    "auto_end_minutes",
    "provider_notifications",
    "non_attendee_policy",
    "walk_in_policy",
    "description",
)
_CLEARABLE = ("max_learners", "info_url", "owner_team_id", "egress_proxy_url")


def _apply_defaults(integration: Integration, data: IntegrationInput) -> None:
    for name in _ALWAYS_SET:
        if getattr(data, name) is not None:
            setattr(integration, name, getattr(data, name))
    for name in _CLEARABLE:
        if getattr(data, name) is not None or name in data.provided:
            setattr(integration, name, getattr(data, name))
    if data.tags is not None:
        integration.tags = list(data.tags)
    if data.available_team_ids is not None:
        integration.available_team_ids = [str(t) for t in data.available_team_ids]
    if data.name is not None:
        integration.name = data.name.strip()


def _store_settings(
    ctx: ServiceContext,
    integration: Integration,
    settings: ProviderSettings,
    grant: dict[str, str] | None = None,
) -> None:
    integration.settings = settings.public_values()
    integration.secrets = ctx.secrets.encrypt(join_secrets(settings.secret_values(), grant or {}))


def _apply_check(ctx: ServiceContext, integration: Integration, result: CheckResult) -> None:
    integration.connection_state = result.state.value
    integration.state_reason = None if result.ok else result.reason
    integration.account_label = result.account_label or integration.account_label
    integration.linked_until = result.linked_until
    integration.checked_at = ctx.clock.now()


async def create(
    ctx: ServiceContext, tx: AsyncSession, account_id: uuid.UUID, data: IntegrationInput, actor: Actor
) -> Integration:
    errors = ErrorList()
    if not data.kind:
        errors.add("kind", "Choose a provider kind.")
    if data.name is None or not data.name.strip():
        errors.add("name", "A name is required.")
    _validate_defaults(data, errors)
    errors.raise_if_any()
    await _validate_teams(tx, account_id, data)
    assert data.kind is not None
    assert data.name is not None
    info = provider_info(data.kind)
    settings = parse_settings(data.kind, data.settings or {})
    key = await _ensure_unique_account(tx, data.kind, settings, account_id, None)
    active = True if data.active is None else data.active
    if active:
        await _ensure_policy(tx, account_id, data.kind, None)
    now = ctx.clock.now()
    integration = Integration(
        account_id=account_id,
        kind=data.kind,
        name=data.name.strip(),
        active=active,
        account_key=key,
        revision=1,
        created_at=now,
        updated_at=now,
        tags=[],
        available_team_ids=[],
        learner_lead_minutes=15,
        instructor_lead_minutes=30,
        auto_end_minutes=120,
        provider_notifications=False,
        non_attendee_policy="unchanged",
        walk_in_policy="ignore",
        description="",
    )
    for name, value in info.integration_defaults.items():
        setattr(integration, name, value)
    _apply_defaults(integration, data)
    _store_settings(ctx, integration, settings)
    if by_consent(data.kind, settings):
        integration.connection_state = ConnectionState.NOT_LINKED.value
    else:
        result = await check_settings(ctx, data.kind, settings, data.egress_proxy_url)
        if not result.ok:
            raise _check_failure(result)
        _apply_check(ctx, integration, result)
    tx.add(integration)
    await tx.flush()
    audit.record(
        ctx,
        tx,
        account_id,
        actor,
        "integration.created",
        "integration",
        integration.id,
        after={"kind": integration.kind, "name": integration.name, "settings": integration.settings},
    )
    log.info("integration.created", integration=str(integration.id), kind=integration.kind)
    return integration


async def get(tx: AsyncSession, account_id: uuid.UUID, integration_id: uuid.UUID) -> Integration:
    integration = await repo.get(tx, account_id, integration_id)
    if integration is None:
        raise NotFound("No such integration in this account.")
    return integration


async def update(
    ctx: ServiceContext,
    tx: AsyncSession,
    account_id: uuid.UUID,
    integration_id: uuid.UUID,
    data: IntegrationInput,
    actor: Actor,
) -> Integration:
    integration = await get(tx, account_id, integration_id)
    if data.kind is not None and data.kind != integration.kind:
        raise ValidationFailed.one("kind", "The provider kind cannot change; create another integration.")
    errors = ErrorList()
    _validate_defaults(data, errors)
    errors.raise_if_any()
    await _validate_teams(tx, account_id, data)
    before = {"name": integration.name, "settings": dict(integration.settings), "active": integration.active}
    if data.settings is not None:
        # secrets are write-only: a secret left out keeps its stored value
        stored_secrets, grant = split_secrets(ctx.secrets.decrypt(integration.secrets))
        merged = {**integration.settings, **stored_secrets}
        merged.update({k: v for k, v in data.settings.items() if v is not None})
        settings = parse_settings(integration.kind, merged)
        before_values = {**integration.settings, **stored_secrets}
        after_values = {**settings.public_values(), **settings.secret_values()}
        changed_fields = {
            k
            for k in before_values.keys() | after_values.keys()
            if before_values.get(k) != after_values.get(k)
        }
        if changed_fields:
            integration.account_key = await _ensure_unique_account(
                tx, integration.kind, settings, account_id, integration.id
            )
            if by_consent(integration.kind, settings):
                if changed_fields & type(settings).link_fields():
                    # the sign-in was given for the old configuration: it is void
                    grant = {}
                    if integration.connection_state in (
                        ConnectionState.LINKED.value,
                        ConnectionState.NEEDS_REAUTH.value,
                    ):
                        mark_needs_reauth(ctx, integration, "Configuration was changed; sign in again.")
                    else:
                        integration.connection_state = ConnectionState.NOT_LINKED.value
            else:
                grant = {}
                proxy = (
                    data.egress_proxy_url
                    if "egress_proxy_url" in data.provided
                    else integration.egress_proxy_url
                )
                result = await check_settings(ctx, integration.kind, settings, proxy)
                if not result.ok:
                    raise _check_failure(result)
                _apply_check(ctx, integration, result)
                await repo.retry_failed_sessions(tx, integration.id, ctx.clock.now())
            _store_settings(ctx, integration, settings, grant)
    if data.active is not None and data.active != integration.active:
        if data.active:
            await _ensure_policy(tx, account_id, integration.kind, integration.id)
        integration.active = data.active
    _apply_defaults(integration, data)
    integration.updated_at = ctx.clock.now()
    integration.revision += 1
    audit.record(
        ctx,
        tx,
        account_id,
        actor,
        "integration.updated",
        "integration",
        integration.id,
        before=before,
        after={"name": integration.name, "settings": integration.settings, "active": integration.active},
    )
    return integration


async def check(
    ctx: ServiceContext, tx: AsyncSession, account_id: uuid.UUID, integration_id: uuid.UUID
) -> tuple[Integration, CheckResult]:
    integration = await get(tx, account_id, integration_id)
    result = await check_settings(
        ctx,
        integration.kind,
        ctx.providers.settings_of(integration),
        integration.egress_proxy_url,
        ctx.providers.grant_of(integration),
    )
    if (
        result.state == ConnectionState.NOT_LINKED
        and integration.connection_state == ConnectionState.NEEDS_REAUTH.value
    ):
        # still waiting for the new sign-in: keep saying why ("configuration was changed")
        result = replace(
            result, state=ConnectionState.NEEDS_REAUTH, reason=integration.state_reason or result.reason
        )
    _apply_check(ctx, integration, result)
    if result.ok:
        await repo.retry_failed_sessions(tx, integration.id, ctx.clock.now())
    log.info("integration.checked", integration=str(integration.id), ok=result.ok)
    return integration, result


async def delete(
    ctx: ServiceContext, tx: AsyncSession, account_id: uuid.UUID, integration_id: uuid.UUID, actor: Actor
) -> None:
    integration = await get(tx, account_id, integration_id)
    open_sessions = await repo.open_session_count(tx, integration.id)
    if open_sessions:
        raise Conflict(
            f"{open_sessions} scheduled or running session(s) use this integration; "
            "deactivate it instead, or move those sessions first.",
            sessions=open_sessions,
        )
    if await repo.session_count(tx, integration.id):
        raise Conflict("Past sessions keep their attendance through this integration; deactivate it instead.")
    audit.record(
        ctx,
        tx,
        account_id,
        actor,
        "integration.deleted",
        "integration",
        integration.id,
        before={"kind": integration.kind, "name": integration.name},
    )
    await tx.delete(integration)


def mark_needs_reauth(ctx: ServiceContext, integration: Integration, reason: str) -> None:
    if integration.connection_state != ConnectionState.NEEDS_REAUTH.value:
        log.warning("integration.needs_reauth", integration=str(integration.id), reason=reason)
    integration.connection_state = ConnectionState.NEEDS_REAUTH.value
    integration.state_reason = reason


def public_settings(integration: Integration) -> dict[str, Any]:
    return dict(integration.settings)


def secrets_set(ctx: ServiceContext, integration: Integration) -> list[str]:
    """Names of the secret settings that have a value (never the values)."""
    return sorted(split_secrets(ctx.secrets.decrypt(integration.secrets))[0])
