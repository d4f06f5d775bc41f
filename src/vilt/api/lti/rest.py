"""``/api/v1/lti``: platform registrations, registration links, the tool's keys, resource
links (event binding, grade sync, roster import), proctored attempts and their control."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from vilt.api.deps import PrincipalDep, RuntimeDep
from vilt.api.lti.pages import hub
from vilt.api.rest.common import ERRORS, Body, Cursor, Limit, Page
from vilt.core.errors import Conflict, DomainError, NotFound
from vilt.services.lti import keys, nrps, platforms, proctoring, registration, uef
from vilt.services.lti.hub import ServiceError
from vilt.services.lti.platforms import PlatformInput
from vilt.storage.lti_models import LtiPlatform, LtiProctoringAttempt, LtiProctoringSetting, LtiResourceLink
from vilt.storage.repositories import events as events_repo
from vilt.storage.repositories import lti as repo
from vilt.storage.repositories.paging import paginate

router = APIRouter(prefix="/lti", tags=["lti"], responses=ERRORS)


class ProviderFailed(DomainError):
    status = 502
    code = "platform_failed"
    title = "The LMS did not carry it out"


class PlatformFields(Body):
    name: str | None = None
    issuer: str | None = Field(
        default=None, description="The platform's issuer (iss), e.g. https://canvas.instructure.com"
    )
    client_id: str | None = None
    deployment_ids: list[str] | None = None
    auth_login_url: str | None = Field(default=None, description="OIDC authorization endpoint")
    token_url: str | None = Field(default=None, description="OAuth2 token endpoint for services")
    jwks_url: str | None = Field(default=None, description="The platform's public key set")
    token_audience: str | None = Field(
        default=None, description="Client assertion aud, when not the token URL"
    )
    product: str | None = Field(default=None, description="moodle, canvas, blackboard…")
    active: bool | None = None
    uef_learn_url: str | None = Field(default=None, description="Blackboard: the Learn origin")
    uef_rest_key: str | None = Field(default=None, description="Blackboard: REST application key")
    uef_rest_secret: str | None = Field(
        default=None, description="Blackboard: REST application secret (write-only)"
    )
    proctoring_handle: str | None = Field(default=None, description="Blackboard: proctoring placement handle")

    def to_input(self) -> PlatformInput:
        return PlatformInput(**self.model_dump(), provided=self.provided())


class PlatformCreate(PlatformFields):
    issuer: str
    client_id: str
    auth_login_url: str
    token_url: str
    jwks_url: str


class PlatformOut(BaseModel):
    id: uuid.UUID
    name: str
    product: str
    issuer: str
    client_id: str
    deployment_ids: list[str]
    auth_login_url: str
    token_url: str
    jwks_url: str
    token_audience: str | None
    active: bool
    uef_learn_url: str | None
    uef_rest_key: str | None
    uef_rest_secret_set: bool
    proctoring_handle: str | None
    tool: dict[str, str] = Field(description="What to enter on the platform side")
    created_at: datetime


def platform_out(runtime: RuntimeDep, row: LtiPlatform) -> PlatformOut:
    ctx = runtime.ctx
    return PlatformOut(
        id=row.id,
        name=row.name,
        product=row.product,
        issuer=row.issuer,
        client_id=row.client_id,
        deployment_ids=list(row.deployment_ids),
        auth_login_url=row.auth_login_url,
        token_url=row.token_url,
        jwks_url=row.jwks_url,
        token_audience=row.token_audience,
        active=row.active,
        uef_learn_url=row.uef_learn_url,
        uef_rest_key=row.uef_rest_key,
        uef_rest_secret_set=bool(row.secrets),
        proctoring_handle=row.proctoring_handle,
        created_at=row.created_at,
        tool={
            "login_url": ctx.url("/lti/login"),
            "launch_url": ctx.url("/lti/launch"),
            "redirect_url": ctx.url("/lti/launch"),
            "jwks_url": ctx.url("/lti/jwks"),
            "ultra_extension_url": ctx.url("/lti/uef"),
            "deep_linking_url": ctx.url("/lti/launch"),
        },
    )


@router.get("/platforms", response_model=Page[PlatformOut])
async def list_platforms(
    runtime: RuntimeDep, principal: PrincipalDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[PlatformOut]:
    async with runtime.db.reading() as tx:
        page = await paginate(tx, repo.platforms_listing(principal.account_id), limit, cursor)
        return Page(items=[platform_out(runtime, p) for p in page.items], next_cursor=page.next_cursor)


@router.post("/platforms", response_model=PlatformOut, status_code=201)
async def create_platform(body: PlatformCreate, runtime: RuntimeDep, principal: PrincipalDep) -> PlatformOut:
    async with runtime.db.transaction() as tx:
        row = await platforms.create(runtime.ctx, tx, principal.account_id, body.to_input(), principal.actor)
        return platform_out(runtime, row)


@router.get("/platforms/{platform_id}", response_model=PlatformOut)
async def get_platform(platform_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep) -> PlatformOut:
    async with runtime.db.reading() as tx:
        return platform_out(runtime, await platforms.get(tx, principal.account_id, platform_id))


@router.patch("/platforms/{platform_id}", response_model=PlatformOut)
async def update_platform(
    platform_id: uuid.UUID, body: PlatformFields, runtime: RuntimeDep, principal: PrincipalDep
) -> PlatformOut:
    async with runtime.db.transaction() as tx:
        row = await platforms.update(
            runtime.ctx, tx, principal.account_id, platform_id, body.to_input(), principal.actor
        )
        return platform_out(runtime, row)


@router.delete("/platforms/{platform_id}", status_code=204)
async def delete_platform(platform_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep) -> Response:
    async with runtime.db.transaction() as tx:
        await platforms.delete(runtime.ctx, tx, principal.account_id, platform_id, principal.actor)
    return Response(status_code=204)


class RegistrationLinkOut(BaseModel):
    url: str = Field(description="Give this URL to the LMS (Dynamic Registration); it works once")
    expires_at: datetime


@router.post("/registration-links", response_model=RegistrationLinkOut, status_code=201)
async def create_registration_link(runtime: RuntimeDep, principal: PrincipalDep) -> RegistrationLinkOut:
    async with runtime.db.transaction() as tx:
        url, expires = await registration.create_link(runtime.ctx, tx, principal.account_id)
    return RegistrationLinkOut(url=url, expires_at=expires)


class KeyOut(BaseModel):
    kid: str
    signing: bool
    created_at: datetime
    retired_at: datetime | None
    published_until: datetime | None


class RotateBody(Body):
    keep_old_for_hours: float = Field(
        default=72, ge=0, le=90 * 24, description="How long the old key stays in the key set"
    )


@router.get("/keys", response_model=list[KeyOut])
async def list_keys(runtime: RuntimeDep, principal: PrincipalDep) -> list[KeyOut]:
    """The tool's signing keys (shared by every account of this Vilt); private parts never leave."""
    async with runtime.db.transaction() as tx:
        await keys.ensure_key(runtime.ctx, tx)
        rows = await repo.tool_keys(tx)
    return [
        KeyOut(
            kid=k.kid,
            signing=k.retired_at is None,
            created_at=k.created_at,
            retired_at=k.retired_at,
            published_until=k.expires_at,
        )
        for k in rows
    ]


@router.post("/keys/rotate", response_model=KeyOut, status_code=201)
async def rotate_key(runtime: RuntimeDep, principal: PrincipalDep, body: RotateBody | None = None) -> KeyOut:
    """A new signing key; the old one stays published for ``keep_old_for_hours``. The keys serve
    every account, so with several accounts this answers 403: the operator rotates them with
    ``vilt lti key rotate``."""
    hours = (body or RotateBody()).keep_old_for_hours
    async with runtime.db.transaction() as tx:
        key = await keys.rotate(
            runtime.ctx, tx, timedelta(hours=hours), asked_by_account=principal.account_id
        )
    return KeyOut(kid=key.kid, signing=True, created_at=key.created_at, retired_at=None, published_until=None)


class LinkOut(BaseModel):
    id: uuid.UUID
    platform_id: uuid.UUID
    resource_link_id: str
    title: str
    event_id: uuid.UUID | None
    lineitem_url: str | None
    score_maximum: int
    grade_sync: str


def link_out(row: LtiResourceLink) -> LinkOut:
    return LinkOut(
        id=row.id,
        platform_id=row.platform_id,
        resource_link_id=row.resource_link_id,
        title=row.title,
        event_id=row.event_id,
        lineitem_url=row.lineitem_url,
        score_maximum=row.score_maximum,
        grade_sync=row.grade_sync,
    )


class LinkPatch(Body):
    event_id: uuid.UUID | None = None
    grade_sync: Literal["on_submit", "every_change"] | None = None
    score_maximum: int | None = Field(default=None, ge=1, le=10000)


@router.get("/links", response_model=Page[LinkOut])
async def list_links(
    runtime: RuntimeDep,
    principal: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    event_id: uuid.UUID | None = None,
) -> Page[LinkOut]:
    async with runtime.db.reading() as tx:
        page = await paginate(tx, repo.links_listing(principal.account_id, event_id), limit, cursor)
        return Page(items=[link_out(x) for x in page.items], next_cursor=page.next_cursor)


@router.patch("/links/{link_id}", response_model=LinkOut)
async def update_link(
    link_id: uuid.UUID, body: LinkPatch, runtime: RuntimeDep, principal: PrincipalDep
) -> LinkOut:
    async with runtime.db.transaction() as tx:
        row = await repo.link(tx, principal.account_id, link_id)
        if row is None:
            raise NotFound("No such LTI resource link in this account.")
        if body.event_id is not None:
            if await events_repo.get_event(tx, principal.account_id, body.event_id) is None:
                raise NotFound("No such event in this account.")
            row.event_id = body.event_id
        if body.grade_sync is not None:
            row.grade_sync = body.grade_sync
        if body.score_maximum is not None:
            row.score_maximum = body.score_maximum
        row.updated_at = runtime.clock.now()
        return link_out(row)


class MembersImportBody(Body):
    session_id: uuid.UUID | None = Field(
        default=None,
        description="Enroll learners here (default: the open session of an alternative event, "
        "every open part of a series)",
    )


class MembersImportOut(BaseModel):
    members: int
    pages: int
    created: int
    inactive: int
    enrolled: int
    waitlisted: int
    learners_without_session: int
    sessions: list[str]


@router.post("/links/{link_id}/members/import", response_model=MembersImportOut)
async def import_members(
    link_id: uuid.UUID, runtime: RuntimeDep, principal: PrincipalDep, body: MembersImportBody | None = None
) -> MembersImportOut:
    """Names and Role Provisioning: create the course's members, enroll its learners."""
    async with runtime.db.reading() as tx:
        job = await nrps.prepare(runtime.ctx, tx, principal.account_id, link_id)
    try:
        members, pages = await nrps.fetch_members(hub(runtime), job)
    except ServiceError as exc:
        raise ProviderFailed(exc.reason) from None
    async with runtime.db.transaction() as tx:
        report = await nrps.apply(
            runtime.ctx,
            tx,
            principal.account_id,
            link_id,
            members,
            pages,
            principal.actor,
            (body or MembersImportBody()).session_id,
        )
    runtime.worker.wake.set()
    return MembersImportOut(**report.__dict__)


class AttemptOut(BaseModel):
    id: uuid.UUID
    platform_id: uuid.UUID
    resource_link_id: str
    user_id: uuid.UUID
    attempt_number: int
    status: str
    control_actions: list[str]
    verified_at: datetime | None
    ended_at: datetime | None
    end_error: str | None
    incidents: list[dict[str, Any]]
    proctor_session_id: uuid.UUID | None = Field(
        description="The live proctor room (a Vilt session) the candidate was put in, if the assessment "
        "asks for live proctoring; proctors launch it as its hosts."
    )
    created_at: datetime


def attempt_out(row: LtiProctoringAttempt) -> AttemptOut:
    return AttemptOut(
        id=row.id,
        platform_id=row.platform_id,
        resource_link_id=row.resource_link_id,
        user_id=row.user_id,
        attempt_number=row.attempt_number,
        status=row.status,
        control_actions=list(row.acs_actions),
        verified_at=row.verified_at,
        ended_at=row.ended_at,
        end_error=row.end_error,
        incidents=list(row.incidents),
        proctor_session_id=row.proctor_session_id,
        created_at=row.created_at,
    )


@router.get("/proctoring/attempts", response_model=Page[AttemptOut])
async def list_attempts(
    runtime: RuntimeDep,
    principal: PrincipalDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    status: str | None = None,
) -> Page[AttemptOut]:
    async with runtime.db.reading() as tx:
        page = await paginate(tx, repo.attempts_listing(principal.account_id, status), limit, cursor)
        return Page(items=[attempt_out(a) for a in page.items], next_cursor=page.next_cursor)


class ControlBody(Body):
    action: str = Field(description="pause, resume, terminate, update or flag")
    reason_code: str | None = Field(default=None, max_length=255)
    reason_msg: str | None = Field(default=None, max_length=2000)
    incident_severity: float | None = Field(default=None, description="0 to 1")
    extra_time: int | None = Field(default=None, ge=0, description="Seconds added to the attempt")


class ControlOut(BaseModel):
    attempt: AttemptOut
    platform_status: str | None
    extra_time: int | None


@router.post("/proctoring/attempts/{attempt_id}/control", response_model=ControlOut)
async def control(
    attempt_id: uuid.UUID, body: ControlBody, runtime: RuntimeDep, principal: PrincipalDep
) -> ControlOut:
    """Assessment Control Service: a proctor pauses, resumes, terminates, updates or flags an attempt."""
    request = proctoring.ControlRequest(
        body.action, body.reason_code, body.reason_msg, body.incident_severity, body.extra_time
    )
    async with runtime.db.transaction() as tx:
        prepared = await proctoring.prepare_control(
            runtime.ctx, tx, principal.account_id, attempt_id, request
        )
    answer: dict[str, Any] | None = None
    error = None
    try:
        answer = await proctoring.send_control(hub(runtime), prepared)
    except ServiceError as exc:
        error = exc.reason
    async with runtime.db.transaction() as tx:
        row = await proctoring.record_control(
            runtime.ctx, tx, principal.account_id, attempt_id, prepared.body, answer, error, principal.actor
        )
        out = attempt_out(row)
    if error is not None:
        raise ProviderFailed(error)
    extra = (answer or {}).get("extra_time")
    return ControlOut(
        attempt=out,
        platform_status=(answer or {}).get("status"),
        extra_time=int(extra) if isinstance(extra, int | float) else None,
    )


class SettingOut(BaseModel):
    course_id: str
    content_id: str
    enabled: bool
    live_proctoring: bool
    integration_id: uuid.UUID | None
    updated_by: str
    updated_at: datetime


def setting_out(row: LtiProctoringSetting) -> SettingOut:
    return SettingOut(
        course_id=row.course_id,
        content_id=row.content_id,
        enabled=row.enabled,
        live_proctoring=row.live_proctoring,
        integration_id=row.integration_id,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


class SettingBody(Body):
    course_id: str | None = None
    content_id: str | None = None
    enabled: bool | None = None
    live_proctoring: bool = False
    integration_id: uuid.UUID | None = None
    platform_id: uuid.UUID | None = None


@router.get("/proctoring/settings", response_model=Page[SettingOut])
async def list_settings(
    runtime: RuntimeDep, principal: PrincipalDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[SettingOut]:
    async with runtime.db.reading() as tx:
        page = await paginate(tx, repo.proctoring_settings_listing(principal.account_id), limit, cursor)
        return Page(items=[setting_out(s) for s in page.items], next_cursor=page.next_cursor)


@router.put("/proctoring/settings", response_model=SettingOut)
async def put_setting(body: SettingBody, runtime: RuntimeDep, principal: PrincipalDep) -> SettingOut:
    async with runtime.db.transaction() as tx:
        if (
            body.platform_id is not None
            and await repo.platform(tx, principal.account_id, body.platform_id) is None
        ):
            raise Conflict("No such LTI platform in this account.")
        row = await uef.save_settings(
            runtime.ctx,
            tx,
            principal.account_id,
            body.platform_id,
            uef.SettingsInput(
                body.course_id, body.content_id, body.enabled, body.live_proctoring, body.integration_id
            ),
            by=principal.actor.label,
        )
        return setting_out(row)
