"""``/teams``: the account's teams, which own events and integrations."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from vilt.api.deps import PrincipalDep, RuntimeDep
from vilt.api.rest.common import ERRORS, Body
from vilt.services import accounts
from vilt.storage.repositories import accounts as repo

router = APIRouter(prefix="/teams", tags=["teams"], responses=ERRORS)


class TeamCreate(Body):
    name: str = Field(min_length=1, max_length=255)


class TeamOut(BaseModel):
    id: uuid.UUID
    name: str
    created_at: datetime


@router.get("", response_model=list[TeamOut])
async def list_teams(runtime: RuntimeDep, principal: PrincipalDep) -> list[TeamOut]:
    async with runtime.db.reading() as tx:
        return [
            TeamOut.model_validate(t, from_attributes=True)
            for t in await repo.teams(tx, principal.account_id)
        ]


@router.post("", response_model=TeamOut, status_code=201)
async def create_team(body: TeamCreate, runtime: RuntimeDep, principal: PrincipalDep) -> TeamOut:
    async with runtime.db.transaction() as tx:
        team = await accounts.create_team(runtime.ctx, tx, principal.account_id, body.name)
        return TeamOut.model_validate(team, from_attributes=True)
