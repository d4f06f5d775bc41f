"""BigBlueButton opts into the provider contract: its simulator, the analytics callback as its
attendance, join URLs signed locally."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from tests.providers.contract import ContractEnv, ProviderContract
from tests.sandbox.support import BBB, SECRET, VILT, Receiver
from vilt.clock import AdjustableClock
from vilt.core.attendance import ParticipantReport
from vilt.core.launch import LaunchRole
from vilt.providers.base import MeetingRef, Person, ProviderContext
from vilt.providers.bigbluebutton import webhooks
from vilt.providers.bigbluebutton.adapter import BigBlueButtonAdapter
from vilt.providers.bigbluebutton.config import BigBlueButtonSettings
from vilt.providers.http import HttpEnvironment
from vilt.sandbox.bigbluebutton import BigBlueButtonSimulator


class TestBigBlueButtonContract(ProviderContract):
    @pytest.fixture
    async def env(self, clock: AdjustableClock, receiver: Receiver) -> AsyncIterator[ContractEnv]:
        sim = BigBlueButtonSimulator(clock, secret=SECRET, public_base=BBB, outbound=receiver.client)
        made: list[BigBlueButtonAdapter] = []

        def make(*, wrong_credentials: bool = False, timeout: float = 5.0) -> BigBlueButtonAdapter:
            settings = BigBlueButtonSettings(
                server_url=f"{BBB}/bigbluebutton/",
                secret=SecretStr("not-the-secret" if wrong_credentials else SECRET),
            )
            http = HttpEnvironment(timeout=timeout, routes={BBB: sim.app})
            adapter = BigBlueButtonAdapter(settings, ProviderContext(http=http, clock=clock, base_url=VILT))
            made.append(adapter)
            return adapter

        async def enter(ref: MeetingRef, url: str, person: Person, role: LaunchRole) -> None:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app), base_url=BBB) as browser:
                page = await browser.get(url, follow_redirects=True)
            assert page.status_code == 200, page.text
            assert person.name in page.text

        async def callback_reports() -> list[ParticipantReport]:
            await sim.drain()
            posted = receiver.of("POST")[-1]
            parsed = webhooks.parse_analytics(
                authorization=posted.headers["authorization"],
                body=posted.body,
                form={},
                secret=SECRET,
                now=clock.now(),
            )
            assert isinstance(parsed, webhooks.AnalyticsData)
            return parsed.reports

        def leave_body(person: Person) -> dict[str, Any]:
            return {"user_id": person.identity}

        yield ContractEnv(
            sim=sim,
            clock=clock,
            origin=BBB,
            make=make,
            wrong_credentials_field="secret",
            secret=SECRET,
            api_prefix="/bigbluebutton/api",
            enter=enter,
            leave_body=leave_body,
            callback_reports=callback_reports,
            spec_extra={
                "callback_urls": {"analytics": f"{VILT}/api/v1/callbacks/bigbluebutton/i1/analytics"}
            },
        )
        for adapter in made:
            await adapter.aclose()
