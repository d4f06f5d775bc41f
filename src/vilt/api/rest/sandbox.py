"""``/sandbox``: in sandbox mode only, move the deployment's clock and run worker passes.
Outside sandbox mode these answer 404, as if they did not exist."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from vilt.api.deps import PrincipalDep, RuntimeDep
from vilt.api.rest.common import ERRORS, Body
from vilt.clock import AdjustableClock
from vilt.runtime import Runtime

router = APIRouter(prefix="/sandbox", tags=["sandbox"], responses=ERRORS)


class ClockBody(Body):
    advance_seconds: float = Field(ge=0, le=366 * 24 * 3600)


class ClockOut(BaseModel):
    now: datetime


class TickOut(BaseModel):
    now: datetime
    claimed: int
    sessions: list[dict[str, Any]]
    deliveries: list[dict[str, Any]]


def _sandbox_clock(runtime: Runtime) -> AdjustableClock:
    if not runtime.sandbox or not isinstance(runtime.clock, AdjustableClock):
        raise HTTPException(404, "Not found.")
    return runtime.clock


@router.get("/clock", response_model=ClockOut)
async def get_clock(runtime: RuntimeDep, principal: PrincipalDep) -> ClockOut:
    return ClockOut(now=_sandbox_clock(runtime).now())


@router.post("/clock", response_model=ClockOut)
async def advance_clock(body: ClockBody, runtime: RuntimeDep, principal: PrincipalDep) -> ClockOut:
    """Move the clock of the whole deployment (service, worker, simulators) forward."""
    now = _sandbox_clock(runtime).advance(body.advance_seconds)
    await runtime.drain_simulators()
    runtime.worker.wake.set()
    return ClockOut(now=now)


@router.post("/tick", response_model=TickOut)
async def tick(runtime: RuntimeDep, principal: PrincipalDep) -> TickOut:
    """Deliver the simulators' pending callbacks, then run one worker pass and say what it did."""
    clock = _sandbox_clock(runtime)
    await runtime.drain_simulators()
    report = await runtime.worker.run_pass()
    await runtime.ctx.launches.flush(runtime.db)
    public = report.public()
    return TickOut(
        now=clock.now(), claimed=report.claimed, sessions=public["sessions"], deliveries=public["deliveries"]
    )
