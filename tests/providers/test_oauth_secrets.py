"""Zoom's and Teams' secrets never show (quality rule 7): not the client secret, the webhook
secret token, an access token or a refresh token, in check reasons, error reasons, tracebacks,
settings shown to people, or logs, across successes and every kind of failure."""

from __future__ import annotations

import traceback
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import Any

import structlog

from tests.providers.contract import HOST, STARTS
from tests.providers.teams_support import TEAMS, signed_in_grant, teams_adapter
from tests.providers.zoom_support import ZOOM, zoom_adapter
from vilt.clock import AdjustableClock
from vilt.core.sessions import EventKind
from vilt.providers.base import MeetingSpec, MemoryState, Provider
from vilt.providers.errors import ProviderError
from vilt.sandbox.faults import Fault
from vilt.sandbox.teams import TeamsSimulator
from vilt.sandbox.zoom import ZoomSimulator

SPEC = MeetingSpec("5ec", "Class", EventKind.MEETING, STARTS, timedelta(hours=1), "UTC", host=HOST)
CLIENT_SECRET = "Cl13nt-s3cr3t-n0t-t0-l34k-7f6e5d4c3b2a1908"
WEBHOOK_SECRET = "W3bh00k-t0k3n-n0t-t0-l34k-0a1b2c3d4e5f6789"


async def said(call: Callable[[], Awaitable[Any]]) -> str:
    """Everything a call says: its result, or its error's reason and traceback."""
    try:
        return repr(await call())
    except ProviderError as exc:
        return exc.reason + "".join(traceback.format_exception(exc))


async def exercise(adapter: Provider, faults: Any, prefix: str) -> list[str]:
    out = [repr(await adapter.check())]
    ref = await adapter.create_meeting(SPEC)
    out.append(await said(lambda: adapter.host_url(ref, HOST)))
    for status in (401, 403, 429, 500, 503):
        faults.add(Fault(status, 3, path_prefix=prefix))
        out.append(await said(lambda: adapter.create_meeting(SPEC)))
        faults.clear()
    return out


async def test_zoom_never_shows_its_secrets(clock: AdjustableClock) -> None:
    sim = ZoomSimulator(clock, public_base=ZOOM, client_secret=CLIENT_SECRET, webhook_secret=WEBHOOK_SECRET)
    assert HOST.email is not None
    sim.state.add_user(HOST.email, HOST.name)
    with structlog.testing.capture_logs() as logs:
        wrong = zoom_adapter(sim, clock, client_secret="Wr0ng-" + CLIENT_SECRET[::-1])
        out = [repr(await wrong.check()), await said(lambda: wrong.create_meeting(SPEC))]
        good = zoom_adapter(sim, clock)
        out += await exercise(good, sim.faults, "/v2")
        out.append(repr(good.settings.public_values()))
        out.append(repr(good.settings))
        await wrong.aclose()
        await good.aclose()
    text = "\n".join(out) + repr(logs)
    for secret in (CLIENT_SECRET, WEBHOOK_SECRET, *sim.tokens):
        assert secret not in text


async def test_teams_never_shows_its_secrets_in_either_mode(clock: AdjustableClock) -> None:
    sim = TeamsSimulator(clock, public_base=TEAMS, client_secret=CLIENT_SECRET)
    assert HOST.email is not None
    sim.state.add_user(HOST.email, HOST.name)
    with structlog.testing.capture_logs() as logs:
        grant = await signed_in_grant(sim, clock, HOST.email)
        out = []
        for mode, with_grant in (("application", {}), ("delegated", grant)):
            wrong = teams_adapter(
                sim, clock, auth_mode=mode, grant=with_grant, client_secret="nope-" + CLIENT_SECRET[::-1]
            )
            out += [repr(await wrong.check()), await said(partial(wrong.create_meeting, SPEC))]
            state = MemoryState()
            good = teams_adapter(sim, clock, auth_mode=mode, grant=with_grant, state=state)
            out += await exercise(good, sim.faults, "/v1.0")
            out.append(repr(good.settings))
            await wrong.aclose()
            await good.aclose()
    text = "\n".join(out) + repr(logs)
    secrets = [CLIENT_SECRET, *sim.identity.tokens, *sim.identity.refresh_tokens, grant["refresh_token"]]
    for secret in secrets:
        assert secret not in text
