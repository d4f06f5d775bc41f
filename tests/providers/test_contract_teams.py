"""Microsoft Teams opts into the provider contract, in both authorization modes: *delegated*
(signed in once through the consent page; every meeting on that user's calendar) and
*application* (client credentials; meetings on the instructor's calendar)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.providers.contract import HOST, ContractEnv, ProviderContract
from tests.providers.teams_support import TEAMS, browser, signed_in_grant, teams_adapter
from vilt.clock import AdjustableClock
from vilt.core.launch import LaunchRole
from vilt.providers.base import MeetingRef, Person
from vilt.providers.teams.adapter import TeamsAdapter
from vilt.sandbox.teams import TeamsSimulator


class TestTeamsContract(ProviderContract):
    @pytest.fixture(params=["delegated", "application"])
    async def env(self, request: pytest.FixtureRequest, clock: AdjustableClock) -> AsyncIterator[ContractEnv]:
        mode: str = request.param
        sim = TeamsSimulator(clock, public_base=TEAMS)
        assert HOST.email is not None
        sim.state.add_user(HOST.email, HOST.name)
        grant = await signed_in_grant(sim, clock, HOST.email) if mode == "delegated" else {}
        made: list[TeamsAdapter] = []

        def make(*, wrong_credentials: bool = False, timeout: float = 5.0) -> TeamsAdapter:
            overrides: dict[str, Any] = {"auth_mode": mode}
            if wrong_credentials:
                overrides["client_secret"] = "not-the-secret"
            adapter = teams_adapter(sim, clock, timeout=timeout, grant=grant, **overrides)
            made.append(adapter)
            return adapter

        async def enter(ref: MeetingRef, url: str, person: Person, role: LaunchRole) -> None:
            assert url == ref.data["join_url"]
            async with browser(sim) as client:
                page = await client.get(url)
                assert page.status_code == 200, page.text
                # the shared URL does not say who opens it: Teams knows people by their sign-in
                joined = await client.post(
                    f"/_sim/meetings/{ref.ref}/join",
                    json={"email": person.email, "name": person.name, "role": role.value},
                )
            assert joined.status_code == 200, joined.text

        def leave_body(person: Person) -> dict[str, Any]:
            return {"email": person.email}

        yield ContractEnv(
            sim=sim,
            clock=clock,
            origin=TEAMS,
            make=make,
            wrong_credentials_field="client_secret",
            secret=sim.client_secret,
            api_prefix="/v1.0",
            enter=enter,
            leave_body=leave_body,
            shared_join_url="Teams has one joinWebUrl per meeting; it knows the organizer by their sign-in.",
        )
        for adapter in made:
            await adapter.aclose()
