"""Wiring: one place that builds the database, clock, providers, services and worker, for
``vilt serve``, ``vilt worker``, ``vilt demo`` and the tests alike."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from vilt.clock import AdjustableClock, Clock, SystemClock
from vilt.jobs.worker import Worker
from vilt.providers.http import HttpEnvironment
from vilt.sandbox.control import Simulator
from vilt.sandbox.registry import SIMULATORS
from vilt.services.context import ServiceContext
from vilt.services.launch_log import LaunchLog
from vilt.services.lti.grades import ScoreSender
from vilt.services.lti.hub import LtiHub
from vilt.services.provider_hub import ProviderHub
from vilt.services.provider_state import DatabaseState
from vilt.services.webhooks import WebhookSender
from vilt.settings import Settings
from vilt.storage.db import Database
from vilt.storage.secrets import SecretBox


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    db: Database
    http: HttpEnvironment
    ctx: ServiceContext
    worker: Worker
    simulators: dict[str, Simulator] = field(default_factory=dict)
    lti: LtiHub | None = None

    @property
    def sandbox(self) -> bool:
        return self.settings.sandbox

    def sandbox_prefix(self, kind: str) -> str:
        return f"/sandbox/{kind}"

    def route_to_self(self, app: Any) -> None:
        """Requests to our own base URL (the mounted simulators, callbacks from them) stay in
        process, so the demo and the tests need no sockets between their parts."""
        self.http.add_route(self.settings.base_url, app)

    async def drain_simulators(self) -> None:
        for simulator in self.simulators.values():
            await simulator.drain()

    async def aclose(self) -> None:
        # a simulator's callback still in flight holds a database session: let it finish first
        # (shutting down anyway after 10 s; a real provider would retry its callback)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.drain_simulators(), timeout=10)
        await self.ctx.launches.flush(self.db)
        await self.ctx.providers.aclose()
        await self.db.dispose()


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    routes: Mapping[str, Any] | None = None,
    simulator_options: Mapping[str, Mapping[str, Any]] | None = None,
) -> Runtime:
    if clock is None:
        clock = AdjustableClock() if settings.sandbox else SystemClock()
    secret_key = settings.secret_key.get_secret_value() if settings.secret_key else ""
    secrets = SecretBox.from_setting(secret_key)
    http = HttpEnvironment(timeout=settings.provider_timeout_seconds, routes=routes)
    db = Database(settings.database_url)
    hub = ProviderHub(
        http,
        clock,
        settings.base_url,
        secrets,
        state_factory=lambda i: DatabaseState(db, secrets, clock, i.id, i.revision),
    )
    ctx = ServiceContext(
        clock=clock,
        secrets=secrets,
        providers=hub,
        base_url=settings.base_url,
        launches=LaunchLog(),
        sandbox=settings.sandbox,
    )
    ctx.deliveries[WebhookSender.kind] = WebhookSender(ctx, http)
    worker = Worker(db, ctx, lease=timedelta(seconds=settings.lease_seconds), batch=settings.worker_batch)
    lti = LtiHub(http, clock)
    ctx.deliveries[ScoreSender.kind] = ScoreSender(ctx, lti)
    runtime = Runtime(settings, clock, db, http, ctx, worker, lti=lti)
    if settings.sandbox:
        base = settings.base_url.rstrip("/")
        for kind, simulator_class in SIMULATORS.items():
            options = dict((simulator_options or {}).get(kind, {}))
            runtime.simulators[kind] = simulator_class(
                clock, public_base=f"{base}/sandbox/{kind}", outbound=http.client, **options
            )
        if isinstance(clock, AdjustableClock):

            def reconcile_all(now: datetime) -> None:
                for simulator in runtime.simulators.values():
                    simulator.reconcile(now)

            clock.on_advance(reconcile_all)
    return runtime
