from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.sandbox.support import BBB, SECRET, T0, Receiver
from vilt.clock import AdjustableClock
from vilt.sandbox.bigbluebutton import BigBlueButtonSimulator


@pytest.fixture
def clock() -> AdjustableClock:
    return AdjustableClock(T0, frozen=True)


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def sim(clock: AdjustableClock, receiver: Receiver) -> BigBlueButtonSimulator:
    return BigBlueButtonSimulator(clock, secret=SECRET, public_base=BBB, outbound=receiver.client)


@pytest.fixture
async def api(sim: BigBlueButtonSimulator) -> AsyncIterator[httpx.AsyncClient]:
    """Plain HTTP to the simulator, in process."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app), base_url=BBB) as client:
        yield client
