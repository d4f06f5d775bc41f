"""``/integrations``: linked provider accounts. Secrets are write-only."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from vilt.api.deps import PrincipalDep, RuntimeDep
from vilt.api.rest.common import ERRORS, Body, Cursor, Int32, Limit, Page
from vilt.providers.base import Capability, CheckResult
from vilt.runtime import Runtime
from vilt.services import integrations as service
from vilt.services import oauth_links
from vilt.services.integrations import IntegrationInput
from vilt.services.provider_hub import provider_info
from vilt.storage.models import Integration
from vilt.storage.repositories import integrations as repo
from vilt.storage.repositories.paging import paginate

router = APIRouter(prefix="/integrations", tags=["integrations"], responses=ERRORS)


class IntegrationFields(Body):
    name: str | None = Field(default=None, max_length=255)
    settings: dict[str, Any] | None = Field(
        default=None, description="Provider settings (see GET /providers/{kind}); secrets are write-only."
    )
    active: bool | None = None
    max_learners: Int32 | None = None
    learner_lead_minutes: Int32 | None = None
    instructor_lead_minutes: Int32 | None = None
    auto_end_minutes: Int32 | None = None
    provider_notifications: bool | None = None
    non_attendee_policy: str | None = Field(default=None, description="unchanged | failed")
    walk_in_policy: str | None = Field(default=None, description="ignore | add")
    info_url: str | None = None
    description: str | None = None
    tags: list[str] | None = None
    owner_team_id: uuid.UUID | None = None
    available_team_ids: list[uuid.UUID] | None = None
    egress_proxy_url: str | None = None

    def to_input(self, kind: str | None = None) -> IntegrationInput:
        values = self.model_dump(exclude={"kind"})
        return IntegrationInput(kind=kind, provided=self.provided(), **values)


class IntegrationCreate(IntegrationFields):
    kind: str = Field(description="A provider kind from GET /providers.")
    name: str = Field(min_length=1, max_length=255)
    settings: dict[str, Any]


class ConnectionOut(BaseModel):
    state: str
    reason: str | None
    account_label: str | None
    linked_until: datetime | None
    checked_at: datetime | None


class IntegrationOut(BaseModel):
    id: uuid.UUID
    kind: str
    name: str
    active: bool
    settings: dict[str, Any]
    secrets_set: list[str] = Field(description="Which secret settings have a value; never the values.")
    connection: ConnectionOut
    max_learners: int | None
    learner_lead_minutes: int
    instructor_lead_minutes: int
    auto_end_minutes: int
    provider_notifications: bool
    non_attendee_policy: str
    walk_in_policy: str
    info_url: str | None
    description: str
    tags: list[str]
    owner_team_id: uuid.UUID | None
    available_team_ids: list[uuid.UUID]
    egress_proxy_url: str | None
    webhook_url: str | None = Field(
        description="Where the provider sends its webhooks (set it in the provider's app), if it has any."
    )
    created_at: datetime
    updated_at: datetime


class CheckOut(BaseModel):
    ok: bool
    state: str
    reason: str
    field: str | None
    account_label: str | None
    integration: IntegrationOut


def integration_out(runtime: Runtime, row: Integration) -> IntegrationOut:
    return IntegrationOut(
        id=row.id,
        kind=row.kind,
        name=row.name,
        active=row.active,
        settings=service.public_settings(row),
        secrets_set=service.secrets_set(runtime.ctx, row),
        connection=ConnectionOut(
            state=row.connection_state,
            reason=row.state_reason,
            account_label=row.account_label,
            linked_until=row.linked_until,
            checked_at=row.checked_at,
        ),
        max_learners=row.max_learners,
        learner_lead_minutes=row.learner_lead_minutes,
        instructor_lead_minutes=row.instructor_lead_minutes,
        auto_end_minutes=row.auto_end_minutes,
        provider_notifications=row.provider_notifications,
        non_attendee_policy=row.non_attendee_policy,
        walk_in_policy=row.walk_in_policy,
        info_url=row.info_url,
        description=row.description,
        tags=list(row.tags),
        owner_team_id=row.owner_team_id,
        available_team_ids=[uuid.UUID(t) for t in row.available_team_ids],
        egress_proxy_url=row.egress_proxy_url,
        webhook_url=(
            runtime.ctx.url(f"/api/v1/webhooks/{row.kind}/{row.id}")
            if Capability.WEBHOOKS in provider_info(row.kind).capabilities
            else None
        ),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@router.get("", response_model=Page[IntegrationOut])
async def list_integrations(
    runtime: RuntimeDep, principal: PrincipalDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[IntegrationOut]:
    async with runtime.db.reading() as tx:
        page = await paginate(tx, repo.listing(principal.account_id), limit, cursor)
        return Page(items=[integration_out(runtime, r) for r in page.items], next_cursor=page.next_cursor)


@router.post("", response_model=IntegrationOut, status_code=201)
async def create_integration(
    body: IntegrationCreate, runtime: RuntimeDep, principal: PrincipalDep
) -> IntegrationOut:
    """Create an integration. Its credentials are checked by a real call before it is saved."""
    async with runtime.db.transaction() as tx:
        row = await service.create(
            runtime.ctx, tx, principal.account_id, body.to_input(body.kind), principal.actor
        )
        return integration_out(runtime, row)


@router.get("/{integration_id}", response_model=IntegrationOut)
async def get_integration(
    integration_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep
) -> IntegrationOut:
    async with runtime.db.reading() as tx:
        return integration_out(runtime, await service.get(tx, principal.account_id, integration_id))


@router.patch("/{integration_id}", response_model=IntegrationOut)
async def update_integration(
    integration_id: uuid.UUID, body: IntegrationFields, runtime: RuntimeDep, principal: PrincipalDep
) -> IntegrationOut:
    """Change an integration. Changed credentials are checked before they are saved; a secret
    left out of ``settings`` keeps its stored value."""
    async with runtime.db.transaction() as tx:
        row = await service.update(
            runtime.ctx, tx, principal.account_id, integration_id, body.to_input(), principal.actor
        )
        return integration_out(runtime, row)


@router.delete("/{integration_id}", status_code=204)
async def delete_integration(
    integration_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep
) -> Response:
    """Delete an unused integration; one with sessions can only be deactivated."""
    async with runtime.db.transaction() as tx:
        await service.delete(runtime.ctx, tx, principal.account_id, integration_id, principal.actor)
    return Response(status_code=204)


@router.post("/{integration_id}/check", response_model=CheckOut)
async def check_integration(
    integration_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep
) -> CheckOut:
    """A real call to the provider; on failure the reason says what to fix."""
    async with runtime.db.transaction() as tx:
        row, result = await service.check(runtime.ctx, tx, principal.account_id, integration_id)
        return _check_out(runtime, row, result)


def _check_out(runtime: Runtime, row: Integration, result: CheckResult) -> CheckOut:
    return CheckOut(
        ok=result.ok,
        state=result.state.value,
        reason=result.reason,
        field=result.field,
        account_label=result.account_label,
        integration=integration_out(runtime, row),
    )


class ConsentLinkOut(BaseModel):
    authorize_url: str = Field(description="Open it in a browser: the provider's sign-in and consent page.")
    expires_at: datetime = Field(description="The sign-in must be finished by then.")
    callback_url: str = Field(
        description="Where the provider sends the browser back (register it as redirect URI)."
    )


@router.post("/{integration_id}/link", response_model=ConsentLinkOut)
async def link_integration(
    integration_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep
) -> ConsentLinkOut:
    """Start linking through the provider's consent page ("Sign in to Microsoft"): open
    ``authorize_url``; the provider comes back to ``callback_url``, which finishes the link and shows
    who signed in. Providers whose credentials are checked directly answer 409."""
    async with runtime.db.reading() as tx:
        started = await oauth_links.start(runtime.ctx, tx, principal.account_id, integration_id)
    return ConsentLinkOut(
        authorize_url=started.authorize_url,
        expires_at=started.expires_at,
        callback_url=oauth_links.redirect_uri(runtime.ctx),
    )


@router.get("/{integration_id}/link", response_class=RedirectResponse, status_code=303)
async def link_redirect(
    integration_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep
) -> RedirectResponse:
    """The same as POST, answered with a redirect to the consent page."""
    async with runtime.db.reading() as tx:
        started = await oauth_links.start(runtime.ctx, tx, principal.account_id, integration_id)
    return RedirectResponse(started.authorize_url, status_code=303)
