"""The shared secret never appears in what the adapter says or logs: check reasons, error reasons,
tracebacks, settings shown to people, join URLs, and the provider hub's logs (quality rule 7)."""

from __future__ import annotations

import traceback
import uuid
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

import httpx
import pytest
import structlog
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.sandbox.support import BBB, T0, VILT
from vilt.clock import AdjustableClock
from vilt.core.launch import LaunchRole
from vilt.core.sessions import EventKind
from vilt.providers.base import MeetingRef, MeetingSpec, Person, Provider, ProviderContext
from vilt.providers.bigbluebutton.adapter import BigBlueButtonAdapter
from vilt.providers.bigbluebutton.config import BigBlueButtonSettings
from vilt.providers.errors import ProviderError
from vilt.providers.http import HttpEnvironment
from vilt.sandbox.bigbluebutton import BigBlueButtonSimulator
from vilt.services.provider_hub import ProviderHub
from vilt.storage.models import Integration
from vilt.storage.secrets import SecretBox

# distinctive, so a leak cannot hide behind a common substring
LONG_SECRET = "S3cr3t-d0-n0t-l34k-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
WRONG = "Wr0ng-s3cr3t-n0t-3v3n-cl0s3-0123456789abcdef0123"
SPEC = MeetingSpec(
    session_key="abc",
    title="Class",
    kind=EventKind.MEETING,
    starts_at=T0,
    duration=timedelta(hours=1),
    time_zone="UTC",
)


async def _page(request: Any) -> HTMLResponse:
    return HTMLResponse("<h1>hello</h1>")


@pytest.fixture
def bbb(clock: AdjustableClock) -> BigBlueButtonSimulator:
    return BigBlueButtonSimulator(clock, secret=LONG_SECRET, algorithms=("sha1", "sha256"))


def adapter_for(
    clock: AdjustableClock,
    bbb: BigBlueButtonSimulator,
    *,
    secret: str,
    server: str = BBB,
    algorithm: str = "sha256",
) -> BigBlueButtonAdapter:
    routes = {BBB: bbb.app, "http://web.test": Starlette(routes=[Route("/{p:path}", _page)])}
    settings = BigBlueButtonSettings(
        server_url=server, secret=SecretStr(secret), checksum_algorithm=algorithm
    )
    return BigBlueButtonAdapter(settings, ProviderContext(HttpEnvironment(routes=routes), clock, VILT))


def assert_clean(*texts: str) -> None:
    for text in texts:
        assert LONG_SECRET not in text
        assert WRONG not in text


async def failure(operation: Awaitable[Any]) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await operation
    error = caught.value
    assert_clean(error.reason, str(error), repr(error), "".join(traceback.format_exception(error)))
    return error


@pytest.mark.parametrize(
    ("secret", "server", "algorithm"),
    [
        (WRONG, BBB, "sha256"),  # wrong secret
        (LONG_SECRET, BBB, "sha512"),  # an algorithm the server refuses
        (LONG_SECRET, "http://web.test/", "sha256"),  # not BigBlueButton
        (LONG_SECRET, "http://127.0.0.1:9/", "sha256"),  # nothing listening
    ],
)
async def test_check_reasons_never_contain_the_secret(
    clock: AdjustableClock, bbb: BigBlueButtonSimulator, secret: str, server: str, algorithm: str
) -> None:
    adapter = adapter_for(clock, bbb, secret=secret, server=server, algorithm=algorithm)
    try:
        result = await adapter.check()
    finally:
        await adapter.aclose()
    assert not result.ok
    assert_clean(result.reason, repr(result))


async def test_error_reasons_and_tracebacks_never_contain_the_secret(
    clock: AdjustableClock, bbb: BigBlueButtonSimulator
) -> None:
    good = adapter_for(clock, bbb, secret=LONG_SECRET)
    wrong = adapter_for(clock, bbb, secret=WRONG)
    web = adapter_for(clock, bbb, secret=LONG_SECRET, server="http://web.test/")
    nowhere = adapter_for(clock, bbb, secret=LONG_SECRET, server="http://127.0.0.1:9/")
    try:
        await failure(wrong.create_meeting(SPEC))
        await failure(web.live_status(MeetingRef("vilt-abc")))
        await failure(nowhere.end_meeting(MeetingRef("vilt-abc")))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=bbb.app), base_url=BBB) as control:
            for status in (500, 429, 401, 400):
                await control.post("/_sim/faults", json={"status": status})
                await failure(good.create_meeting(SPEC))
    finally:
        for adapter in (good, wrong, web, nowhere):
            await adapter.aclose()


def test_settings_shown_to_people_hide_the_secret() -> None:
    settings = BigBlueButtonSettings(server_url=BBB, secret=SecretStr(LONG_SECRET))
    assert_clean(repr(settings), str(settings), str(settings.public_values()), settings.model_dump_json())
    assert settings.secret_values() == {"secret": LONG_SECRET}  # only for encrypted storage


async def test_join_urls_carry_a_checksum_not_the_secret(
    clock: AdjustableClock, bbb: BigBlueButtonSimulator
) -> None:
    adapter = adapter_for(clock, bbb, secret=LONG_SECRET)
    try:
        ref = await adapter.create_meeting(SPEC)
        assert_clean(adapter.join_url(ref, Person("v1", "Lea"), LaunchRole.PARTICIPANT))
    finally:
        await adapter.aclose()


async def test_the_provider_hub_logs_outages_without_the_secret(
    clock: AdjustableClock, bbb: BigBlueButtonSimulator
) -> None:
    box = SecretBox([SecretBox.generate_key()])
    integration = Integration(
        id=uuid.uuid4(),
        kind="bigbluebutton",
        settings={"server_url": BBB, "checksum_algorithm": "sha256"},
        secrets=box.encrypt({"secret": LONG_SECRET}),
        updated_at=T0,
    )
    hub = ProviderHub(HttpEnvironment(routes={BBB: bbb.app}), clock, VILT, box)

    def operation(adapter: Provider) -> Awaitable[Any]:
        return adapter.live_status(MeetingRef("vilt-x"))

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=bbb.app), base_url=BBB) as control:
        await control.post("/_sim/faults", json={"status": 503})
    with structlog.testing.capture_logs() as logs:
        with pytest.raises(ProviderError):
            await hub.call(integration, operation)
        await hub.call(integration, operation)
    await hub.aclose()
    assert [entry["event"] for entry in logs] == ["provider.down", "provider.recovered"]
    assert_clean(repr(logs))
