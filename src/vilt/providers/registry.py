"""Provider kind → adapter class. A plain map; providers never import each other."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vilt.providers.base import Provider, ProviderContext, ProviderInfo, ProviderSettings
from vilt.providers.bigbluebutton.adapter import INFO as BIGBLUEBUTTON
from vilt.providers.bigbluebutton.adapter import BigBlueButtonAdapter
from vilt.providers.teams.adapter import INFO as TEAMS
from vilt.providers.teams.adapter import TeamsAdapter
from vilt.providers.zoom.adapter import INFO as ZOOM
from vilt.providers.zoom.adapter import ZoomAdapter

AdapterFactory = Callable[[Any, ProviderContext], Provider]

ADAPTERS: dict[str, tuple[ProviderInfo, AdapterFactory]] = {
    BIGBLUEBUTTON.kind: (BIGBLUEBUTTON, BigBlueButtonAdapter),
    ZOOM.kind: (ZOOM, ZoomAdapter),
    TEAMS.kind: (TEAMS, TeamsAdapter),
}


def kinds() -> list[str]:
    return sorted(ADAPTERS)


def info(kind: str) -> ProviderInfo:
    return ADAPTERS[kind][0]


def build(kind: str, settings: ProviderSettings, context: ProviderContext) -> Provider:
    return ADAPTERS[kind][1](settings, context)
