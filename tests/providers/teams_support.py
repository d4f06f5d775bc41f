"""Shared pieces for the Teams adapter and simulator tests: settings on the simulator, and a
real sign-in through its consent page for delegated mode."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.sandbox.support import VILT
from vilt.clock import AdjustableClock
from vilt.providers.base import MemoryState, ProviderContext, ProviderState
from vilt.providers.http import HttpEnvironment
from vilt.providers.teams.adapter import TeamsAdapter
from vilt.providers.teams.config import TeamsSettings
from vilt.sandbox.teams import TeamsSimulator

TEAMS = "http://teams.sim"
REDIRECT = f"{VILT}/api/v1/oauth/callback"


def teams_settings(sim: TeamsSimulator, **overrides: Any) -> TeamsSettings:
    values: dict[str, Any] = {**sim.integration_settings()}
    values.update(overrides)
    return TeamsSettings.model_validate(values)


def teams_adapter(
    sim: TeamsSimulator,
    clock: AdjustableClock,
    *,
    timeout: float = 5.0,
    grant: Mapping[str, str] | None = None,
    state: ProviderState | None = None,
    **overrides: Any,
) -> TeamsAdapter:
    http = HttpEnvironment(timeout=timeout, routes={TEAMS: sim.app})
    context = ProviderContext(
        http=http, clock=clock, base_url=VILT, grant=dict(grant or {}), state=state or MemoryState()
    )
    return TeamsAdapter(teams_settings(sim, **overrides), context)


def browser(sim: TeamsSimulator) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app), base_url=TEAMS)


async def consent(
    sim: TeamsSimulator, authorize_url: str, email: str, *, deny: bool = False
) -> dict[str, str]:
    """A person on the consent page: opens it, picks their account (or cancels); the query the
    identity platform redirects back with."""
    assert authorize_url.startswith(f"{TEAMS}/{sim.tenant_id}/oauth2/v2.0/authorize?")
    params = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    async with browser(sim) as client:
        page = await client.get(authorize_url)
        assert page.status_code == 200, page.text
        user = sim.state.user(email)
        assert user is not None
        assert user.mail in page.text
        form = {**params, "deny": "1"} if deny else {**params, "user": user.id}
        answer = await client.post(urlsplit(authorize_url).path, data=form)
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(params["redirect_uri"])
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def signed_in_grant(sim: TeamsSimulator, clock: AdjustableClock, email: str) -> dict[str, str]:
    adapter = teams_adapter(sim, clock)
    try:
        answer = await consent(sim, adapter.authorize_url("state-1", REDIRECT), email)
        linked = await adapter.complete_link(answer["code"], REDIRECT)
    finally:
        await adapter.aclose()
    return dict(linked.grant)
