"""``/webhook-endpoints``: where the account receives signed webhooks (Standard Webhooks). The
signing secret is shown once, when it is made; rotating keeps the old one signing for 24 h."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from vilt.api.deps import PrincipalDep, RuntimeDep
from vilt.api.rest.common import ERRORS, Body, Cursor, Limit, Page
from vilt.core.webhooks import EVENT_TYPES
from vilt.services import webhook_endpoints as service
from vilt.services.webhook_endpoints import EndpointInput
from vilt.storage.models import WebhookEndpoint
from vilt.storage.repositories import webhooks as repo
from vilt.storage.repositories.paging import paginate

router = APIRouter(prefix="/webhook-endpoints", tags=["webhooks"], responses=ERRORS)

TYPES = ", ".join(f"`{name}`" for name in EVENT_TYPES)


class EndpointFields(Body):
    url: str | None = Field(default=None, description="Where messages are POSTed (http or https).")
    description: str | None = None
    event_types: list[str] | None = Field(default=None, description=f"Subscribed events: {TYPES}.")
    active: bool | None = None

    def to_input(self) -> EndpointInput:
        return EndpointInput(provided=self.provided(), **self.model_dump())


class EndpointCreate(EndpointFields):
    url: str
    event_types: list[str] | None = Field(default=None, description="Every event type when left out.")


class EndpointOut(BaseModel):
    id: uuid.UUID
    url: str
    description: str
    event_types: list[str]
    active: bool
    previous_secret_until: datetime | None = Field(
        description="During a rotation the previous secret signs too, until then."
    )
    created_at: datetime
    updated_at: datetime


class EndpointWithSecret(EndpointOut):
    secret: str = Field(description="The signing secret (whsec_...). Shown only now: keep it.")


class EventTypeOut(BaseModel):
    type: str
    description: str


def endpoint_out(row: WebhookEndpoint) -> EndpointOut:
    return EndpointOut(
        id=row.id,
        url=row.url,
        description=row.description,
        event_types=list(row.event_types),
        active=row.active,
        previous_secret_until=row.previous_secret_until,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@router.get("/event-types", response_model=list[EventTypeOut])
async def event_types(principal: PrincipalDep) -> list[EventTypeOut]:
    return [EventTypeOut(type=name, description=text) for name, text in EVENT_TYPES.items()]


@router.get("", response_model=Page[EndpointOut])
async def list_endpoints(
    runtime: RuntimeDep, principal: PrincipalDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[EndpointOut]:
    async with runtime.db.reading() as tx:
        page = await paginate(tx, repo.listing(principal.account_id), limit, cursor)
        return Page(items=[endpoint_out(e) for e in page.items], next_cursor=page.next_cursor)


@router.post("", response_model=EndpointWithSecret, status_code=201)
async def create_endpoint(
    body: EndpointCreate, runtime: RuntimeDep, principal: PrincipalDep
) -> EndpointWithSecret:
    """Add an endpoint. The answer carries the signing secret, this once."""
    async with runtime.db.transaction() as tx:
        row, secret = await service.create(
            runtime.ctx, tx, principal.account_id, body.to_input(), principal.actor
        )
        return EndpointWithSecret(**endpoint_out(row).model_dump(), secret=secret)


@router.get("/{endpoint_id}", response_model=EndpointOut)
async def get_endpoint(endpoint_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep) -> EndpointOut:
    async with runtime.db.reading() as tx:
        return endpoint_out(await service.get(tx, principal.account_id, endpoint_id))


@router.patch("/{endpoint_id}", response_model=EndpointOut)
async def update_endpoint(
    endpoint_id: uuid.UUID, body: EndpointFields, runtime: RuntimeDep, principal: PrincipalDep
) -> EndpointOut:
    async with runtime.db.transaction() as tx:
        row = await service.update(
            runtime.ctx, tx, principal.account_id, endpoint_id, body.to_input(), principal.actor
        )
        return endpoint_out(row)


@router.post("/{endpoint_id}/rotate-secret", response_model=EndpointWithSecret)
async def rotate_secret(
    endpoint_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep
) -> EndpointWithSecret:
    """A new signing secret (shown this once); the previous one keeps signing for 24 hours."""
    async with runtime.db.transaction() as tx:
        row, secret = await service.rotate(
            runtime.ctx, tx, principal.account_id, endpoint_id, principal.actor
        )
        return EndpointWithSecret(**endpoint_out(row).model_dump(), secret=secret)


@router.delete("/{endpoint_id}", status_code=204, response_class=Response)
async def delete_endpoint(endpoint_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep) -> Response:
    """Remove an endpoint; what was still owed to it fails visibly in ``/deliveries``."""
    async with runtime.db.transaction() as tx:
        await service.delete(runtime.ctx, tx, principal.account_id, endpoint_id, principal.actor)
    return Response(status_code=204)
