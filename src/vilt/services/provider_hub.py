"""Adapters for integrations: built from stored settings, cached, rate-limited per provider
account, and watched so an outage is logged once and its recovery once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import structlog
from pydantic import ValidationError

from vilt.clock import Clock
from vilt.core.errors import FieldError, ValidationFailed
from vilt.metrics import PROVIDER_CALLS
from vilt.providers import registry
from vilt.providers.base import Provider, ProviderContext, ProviderInfo, ProviderSettings
from vilt.providers.errors import ProviderError, Retriable
from vilt.providers.http import HttpEnvironment
from vilt.storage.models import Integration
from vilt.storage.secrets import SecretBox

log = structlog.get_logger(__name__)
T = TypeVar("T")


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
    def __init__(self, http: HttpEnvironment, clock: Clock, base_url: str, secrets: SecretBox) -> None:
        self.http = http
        self.clock = clock
        self.base_url = base_url
        self.secrets = secrets
        self._cache: dict[uuid.UUID, tuple[int, Provider]] = {}
        self._limits: dict[uuid.UUID, asyncio.Semaphore] = {}
        self._down: set[uuid.UUID] = set()
        self._closing: set[asyncio.Task[None]] = set()

    def context(self, proxy: str | None = None) -> ProviderContext:
        return ProviderContext(http=self.http, clock=self.clock, base_url=self.base_url, proxy=proxy)

    def settings_of(self, integration: Integration) -> ProviderSettings:
        values = dict(integration.settings)
        values.update(self.secrets.decrypt(integration.secrets))
        return parse_settings(integration.kind, values)

    def build(self, kind: str, settings: ProviderSettings, proxy: str | None = None) -> Provider:
        """An adapter that is not cached: for checking settings before they are saved."""
        return registry.build(kind, settings, self.context(proxy))

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
        adapter = registry.build(
            kind, self.settings_of(integration), self.context(integration.egress_proxy_url)
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
        """Run ``operation`` within the provider account's concurrency limit, watching health."""
        adapter = self.adapter(integration)
        limit = self._limits.setdefault(integration.id, asyncio.Semaphore(adapter.info.concurrency))
        async with limit:
            try:
                result = await operation(adapter)
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
