"""Zoom opts into the provider contract: Server-to-Server OAuth on its simulator, registrants'
personal join URLs for learners, a fresh start URL for the host, the participants report."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.providers.contract import HOST, ContractEnv, ProviderContract
from tests.providers.zoom_support import ZOOM, control, zoom_adapter
from vilt.clock import AdjustableClock
from vilt.core.launch import LaunchRole
from vilt.providers.base import MeetingRef, Person
from vilt.providers.zoom.adapter import ZoomAdapter
from vilt.sandbox.zoom import ZoomSimulator


class TestZoomContract(ProviderContract):
    @pytest.fixture
    async def env(self, clock: AdjustableClock) -> AsyncIterator[ContractEnv]:
        sim = ZoomSimulator(clock, public_base=ZOOM)
        assert HOST.email is not None
        sim.state.add_user(HOST.email, HOST.name)
        made: list[ZoomAdapter] = []

        def make(*, wrong_credentials: bool = False, timeout: float = 5.0) -> ZoomAdapter:
            overrides: dict[str, Any] = {"client_secret": "not-the-secret"} if wrong_credentials else {}
            adapter = zoom_adapter(sim, clock, timeout=timeout, **overrides)
            made.append(adapter)
            return adapter

        async def enter(ref: MeetingRef, url: str, person: Person, role: LaunchRole) -> None:
            path = "/s/" if role == LaunchRole.HOST else "/w/"
            assert url.startswith(f"{ZOOM}{path}{ref.ref}?")
            async with control(sim) as browser:
                page = await browser.get(url)
            assert page.status_code == 200, page.text

        def leave_body(person: Person) -> dict[str, Any]:
            return {"email": person.email}

        yield ContractEnv(
            sim=sim,
            clock=clock,
            origin=ZOOM,
            make=make,
            wrong_credentials_field="client_secret",
            secret=sim.client_secret,
            api_prefix="/v2",
            enter=enter,
            leave_body=leave_body,
        )
        for adapter in made:
            await adapter.aclose()
