"""Shared pieces for the Zoom adapter and simulator tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from pydantic import SecretStr

from tests.sandbox.support import VILT
from vilt.clock import AdjustableClock
from vilt.providers.base import MemoryState, ProviderContext, ProviderState
from vilt.providers.http import HttpEnvironment
from vilt.providers.zoom.adapter import ZoomAdapter
from vilt.providers.zoom.config import ZoomSettings
from vilt.sandbox.zoom import ZoomSimulator

ZOOM = "http://zoom.sim"


def zoom_settings(sim: ZoomSimulator, **overrides: Any) -> ZoomSettings:
    values: dict[str, Any] = {**sim.integration_settings(), "plan": "business"}
    values.update(overrides)
    return ZoomSettings.model_validate(values)


def zoom_adapter(
    sim: ZoomSimulator,
    clock: AdjustableClock,
    *,
    timeout: float = 5.0,
    state: ProviderState | None = None,
    **overrides: Any,
) -> ZoomAdapter:
    http = HttpEnvironment(timeout=timeout, routes={ZOOM: sim.app})
    context = ProviderContext(http=http, clock=clock, base_url=VILT, state=state or MemoryState())
    return ZoomAdapter(zoom_settings(sim, **overrides), context)


def control(sim: ZoomSimulator) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app), base_url=ZOOM)


def secret(value: str) -> SecretStr:
    return SecretStr(value)


Factory = Callable[..., ZoomAdapter]
