"""Adapters for integrations: built from stored settings, cached, rate-limited per provider
account, and watched so an outage is logged once and its recovery once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

import structlog
from pydantic import ValidationError

from vilt.clock import Clock
from vilt.core.errors import FieldError, ValidationFailed
from vilt.metrics import PROVIDER_CALLS
from vilt.providers import registry
from vilt.providers.base import (
    MemoryState,
    Provider,
    ProviderContext,
    ProviderInfo,
    ProviderSettings,
    ProviderState,
)
from vilt.providers.errors import ProviderError, RateLimited, Retriable
from vilt.providers.http import HttpEnvironment
from vilt.services.provider_state import split_secrets
from vilt.storage.models import Integration
from vilt.storage.secrets import SecretBox

log = structlog.get_logger(__name__)
T = TypeVar("T")
StateFactory = Callable[[Integration], ProviderState]


def provider_info(kind: str) -> ProviderInfo:
    if kind not in registry.ADAPTERS:
        known = ", ".join(registry.kinds())
        raise ValidationFailed.one("kind", f"Unknown provider '{kind}'; known: {known}.")
    return registry.info(kind)


def parse_settings(kind: str, values: dict[str, Any]) -> ProviderSettings:
    """The typed settings, or a ValidationFailed naming each bad ``settings.<field>``."""
    model = provider_info(kind).settings_model
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        errors = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "settings"
            reason = str(error["msg"]).removeprefix("Value error, ")
            if error["type"] == "missing":
                reason = "This setting is required."
            errors.append(FieldError(f"settings.{where}", reason))
        raise ValidationFailed(errors) from None


class ProviderHub:
    def __init__(
        self,
        http: HttpEnvironment,
        clock: Clock,
        base_url: str,
        secrets: SecretBox,
        state_factory: StateFactory | None = None,
    ) -> None:
        self.http = http
        self.clock = clock
        self.base_url = base_url
        self.secrets = secrets
        self._state_factory = state_factory
        self._cache: dict[uuid.UUID, tuple[int, Provider]] = {}
        self._limits: dict[uuid.UUID, asyncio.Semaphore] = {}
        self._down: set[uuid.UUID] = set()
        self._slow_until: dict[uuid.UUID, datetime] = {}
        self._closing: set[asyncio.Task[None]] = set()

    def context(
        self,
        proxy: str | None = None,
        grant: Mapping[str, str] | None = None,
        state: ProviderState | None = None,
    ) -> ProviderContext:
        return ProviderContext(
            http=self.http,
            clock=self.clock,
            base_url=self.base_url,
            proxy=proxy,
            grant=dict(grant or {}),
            state=state or MemoryState(),
        )

    def settings_of(self, integration: Integration) -> ProviderSettings:
        values = dict(integration.settings)
        values.update(split_secrets(self.secrets.decrypt(integration.secrets))[0])
        return parse_settings(integration.kind, values)

    def grant_of(self, integration: Integration) -> dict[str, str]:
        """What a consent sign-in left for this integration (decrypted), empty if none."""
        return split_secrets(self.secrets.decrypt(integration.secrets))[1]

    def build(
        self,
        kind: str,
        settings: ProviderSettings,
        proxy: str | None = None,
        grant: Mapping[str, str] | None = None,
    ) -> Provider:
        """An adapter that is not cached: for checking settings before they are saved."""
        return registry.build(kind, settings, self.context(proxy, grant))

    def adapter(self, integration: Integration) -> Provider:
        return self.adapter_for(integration.id, integration.kind, integration.revision, lambda: integration)

    def adapter_for(
        self,
        integration_id: uuid.UUID,
        kind: str,
        revision: int,
        load: Callable[[], Integration],
    ) -> Provider:
        """The cached adapter, rebuilt when the integration changed (its ``revision`` moved)."""
        cached = self._cache.get(integration_id)
        if cached is not None and cached[0] == revision:
            return cached[1]
        integration = load()
        state = self._state_factory(integration) if self._state_factory else None
        adapter = registry.build(
            kind,
            self.settings_of(integration),
            self.context(integration.egress_proxy_url, self.grant_of(integration), state),
        )
        self._cache[integration_id] = (revision, adapter)
        if cached is not None:
            task = asyncio.get_running_loop().create_task(cached[1].aclose())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        return adapter

    def cached(self, integration_id: uuid.UUID, revision: int) -> Provider | None:
        cached = self._cache.get(integration_id)
        return cached[1] if cached is not None and cached[0] == revision else None

    async def call(self, integration: Integration, operation: Callable[[Provider], Awaitable[T]]) -> T:
        """Run ``operation`` within the provider account's concurrency limit, watching health.

        After a 429 every call to that provider account waits out its Retry-After here, without
        reaching the provider: a storm of due sessions does not keep hammering it."""
        adapter = self.adapter(integration)
        self._wait_if_slowed(integration)
        limit = self._limits.setdefault(integration.id, asyncio.Semaphore(adapter.info.concurrency))
        async with limit:
            self._wait_if_slowed(integration)
            try:
                result = await operation(adapter)
            except RateLimited as exc:
                PROVIDER_CALLS.labels(integration.kind, "rate_limited").inc()
                self._slow_down(integration, exc)
                raise
            except Retriable as exc:
                PROVIDER_CALLS.labels(integration.kind, "retriable").inc()
                self._mark_down(integration, exc)
                raise
            except ProviderError as exc:
                PROVIDER_CALLS.labels(integration.kind, type(exc).__name__).inc()
                self._mark_up(integration)
                raise
        PROVIDER_CALLS.labels(integration.kind, "ok").inc()
        self._mark_up(integration)
        return result

    def _wait_if_slowed(self, integration: Integration) -> None:
        until = self._slow_until.get(integration.id)
        if until is None:
            return
        now = self.clock.now()
        if now >= until:
            del self._slow_until[integration.id]
            return
        PROVIDER_CALLS.labels(integration.kind, "held_back").inc()
        title = provider_info(integration.kind).title
        raise RateLimited(
            f"{title} asked to slow down; calls wait until {until.isoformat(timespec='seconds')}.",
            until - now,
        )

    def _slow_down(self, integration: Integration, exc: RateLimited) -> None:
        if exc.defer is None or not exc.account_wide:
            return
        until = self.clock.now() + exc.defer
        current = self._slow_until.get(integration.id)
        if current is None or until > current:
            self._slow_until[integration.id] = until
            log.warning(
                "provider.throttled",
                integration=str(integration.id),
                kind=integration.kind,
                until=until.isoformat(),
                reason=exc.reason,
            )

    def _mark_down(self, integration: Integration, exc: ProviderError) -> None:
        if integration.id not in self._down:
            self._down.add(integration.id)
            log.warning(
                "provider.down", integration=str(integration.id), kind=integration.kind, reason=exc.reason
            )

    def _mark_up(self, integration: Integration) -> None:
        if integration.id in self._down:
            self._down.discard(integration.id)
            log.info("provider.recovered", integration=str(integration.id), kind=integration.kind)

    def is_down(self, integration_id: uuid.UUID) -> bool:
        return integration_id in self._down

    async def aclose(self) -> None:
        for _, adapter in self._cache.values():
            await adapter.aclose()
        self._cache.clear()
