"""Quality rules 3–5 through the provider hub that services use: an auth failure is AuthExpired,
transient failures are Retriable (429 with its Retry-After), and a BigBlueButton server going down
is logged once and its recovery once, however many calls fail in between."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
import structlog

from tests.sandbox.support import BBB, SECRET, T0, VILT
from vilt.clock import AdjustableClock
from vilt.providers.base import MeetingRef, Provider
from vilt.providers.errors import AuthExpired, RateLimited, Retriable
from vilt.providers.http import HttpEnvironment
from vilt.sandbox.bigbluebutton import BigBlueButtonSimulator
from vilt.services.provider_hub import ProviderHub
from vilt.storage.models import Integration
from vilt.storage.secrets import SecretBox

Operation = Callable[[Provider], Awaitable[Any]]


def status_of(adapter: Provider) -> Awaitable[Any]:
    return adapter.live_status(MeetingRef("vilt-x"))


@pytest.fixture
def box() -> SecretBox:
    return SecretBox([SecretBox.generate_key()])


@pytest.fixture
async def hub(
    clock: AdjustableClock, sim: BigBlueButtonSimulator, box: SecretBox
) -> AsyncIterator[ProviderHub]:
    built = ProviderHub(HttpEnvironment(routes={BBB: sim.app}), clock, VILT, box)
    yield built
    await built.aclose()


def integration(box: SecretBox, secret: str = SECRET) -> Integration:
    return Integration(
        id=uuid.uuid4(),
        kind="bigbluebutton",
        settings={"server_url": f"{BBB}/bigbluebutton/", "checksum_algorithm": "sha1"},
        secrets=box.encrypt({"secret": secret}),
        updated_at=T0,
    )


async def fault(api: httpx.AsyncClient, **body: Any) -> None:
    assert (await api.post("/_sim/faults", json=body)).status_code == 200


async def test_down_is_logged_once_and_recovery_once(
    hub: ProviderHub, box: SecretBox, api: httpx.AsyncClient
) -> None:
    linked = integration(box)
    await fault(api, status=500, count=3)
    with structlog.testing.capture_logs() as logs:
        for _ in range(3):
            with pytest.raises(Retriable):
                await hub.call(linked, status_of)
            assert hub.is_down(linked.id)
        await hub.call(linked, status_of)
        await hub.call(linked, status_of)
    events = [(entry["event"], entry["log_level"]) for entry in logs]
    assert events == [("provider.down", "warning"), ("provider.recovered", "info")]
    assert "HTTP 500" in logs[0]["reason"]
    assert not hub.is_down(linked.id)


async def test_rate_limits_carry_the_delay(hub: ProviderHub, box: SecretBox, api: httpx.AsyncClient) -> None:
    await fault(api, status=429, retry_after=45)
    with pytest.raises(RateLimited) as caught:
        await hub.call(integration(box), status_of)
    assert caught.value.defer == timedelta(seconds=45)


async def test_a_rotated_secret_is_auth_expired_not_an_outage(hub: ProviderHub, box: SecretBox) -> None:
    rotated = integration(box, secret="the-old-secret")
    with structlog.testing.capture_logs() as logs, pytest.raises(AuthExpired):
        await hub.call(rotated, status_of)
    assert not hub.is_down(rotated.id)
    assert logs == []


async def test_the_hub_builds_the_adapter_that_declares_its_concurrency(
    hub: ProviderHub, box: SecretBox
) -> None:
    linked = integration(box)
    adapter = hub.adapter(linked)
    assert adapter.info.concurrency == 10
    await hub.call(linked, status_of)
    assert hub.adapter(linked) is adapter  # cached while the integration is unchanged
