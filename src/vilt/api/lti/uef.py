"""The Ultra extension's pages: Learn's OAuth callback, the extension page, its settings save."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict

from vilt.api.deps import RuntimeDep
from vilt.api.lti.pages import SignInNeeded, error_page, hub, render
from vilt.api.problems import problem
from vilt.core.errors import DomainError, ValidationFailed
from vilt.services import browser_sessions, users
from vilt.services.lti import tickets, uef
from vilt.storage.repositories import lti as repo

router = APIRouter(tags=["lti"])
SESSION_HEADER = "X-Vilt-Session"
SAVE_TIMEOUT_MS = 4000
"""The page answers Ultra within this, whatever the server does: Ultra gives up after 5 s."""


@router.get("/lti/uef/oauth")
async def oauth_callback(request: Request, runtime: RuntimeDep) -> Response:
    try:
        async with runtime.db.transaction() as tx:
            job = await uef.prepare_exchange(
                runtime.ctx, tx, request.query_params.get("state"), request.query_params.get("code")
            )
        learn_token = await uef.exchange(hub(runtime), job)
        async with runtime.db.transaction() as tx:
            ticket = await uef.issue_page(runtime.ctx, tx, job, learn_token)
    except DomainError as exc:
        return error_page(exc)
    return RedirectResponse(f"/lti/uef/page/{ticket}", status_code=303)


@router.get("/lti/uef/page/{ticket}")
async def page(ticket: str, runtime: RuntimeDep) -> Response:
    try:
        async with runtime.db.transaction() as tx:
            found = await tickets.consume(runtime.ctx, tx, "uef_page", ticket)
            assert found.account_id is not None
            assert found.platform_id is not None
            platform = await repo.platform_by_id(tx, found.platform_id)
            user = await users.get(tx, found.account_id, uuid.UUID(str(found.data["user_id"])))
            session = await browser_sessions.open_session(
                runtime.ctx,
                tx,
                user,
                "lti",
                {
                    "uef": True,
                    "platform_id": str(found.platform_id),
                    "instructor": bool(found.data.get("instructor")),
                },
            )
            learn_token = runtime.ctx.secrets.decrypt(str(found.data["learn_token"]))["token"]
    except DomainError as exc:
        return error_page(exc)
    assert platform is not None
    config: dict[str, Any] = {
        "learnOrigin": platform.uef_learn_url,
        "token": learn_token,
        "handle": platform.proctoring_handle,
        "session": session,
        "settingsUrl": "/lti/uef/settings",
        "saveTimeoutMs": SAVE_TIMEOUT_MS,
    }
    return render("uef.html", config=config)


class SettingsBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    course_id: str | None = None
    content_id: str | None = None
    enabled: bool | None = None
    proctoring_placement_handle: str | None = None


@router.post("/lti/uef/settings")
async def save_settings(body: SettingsBody, request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Called by the extension page (its session token in a header: Ultra's iframe may not
    carry cookies)."""
    try:
        async with runtime.db.transaction() as tx:
            signed = await browser_sessions.resolve(runtime.ctx, tx, request.headers.get(SESSION_HEADER))
            if signed is None or not signed.session.data.get("uef"):
                raise SignInNeeded("The Ultra extension's session expired; reload the Learn page.")
            platform_id = uuid.UUID(str(signed.session.data["platform_id"]))
            platform = await repo.platform_by_id(tx, platform_id)
            handle = body.proctoring_placement_handle
            if (
                platform is not None
                and handle
                and platform.proctoring_handle
                and handle != platform.proctoring_handle
            ):
                raise ValidationFailed.one(
                    "proctoring_placement_handle", "These settings are for another proctoring service."
                )
            allowed = bool(signed.session.data.get("instructor")) or "admin" in signed.user.roles
            saved = await uef.save_settings(
                runtime.ctx,
                tx,
                signed.user.account_id,
                platform_id,
                uef.SettingsInput(body.course_id, body.content_id, body.enabled),
                by=f"user:{signed.user.display_name}",
                allowed=allowed,
            )
    except DomainError as exc:
        errors = (
            [{"field": e.field, "reason": e.reason} for e in exc.errors]
            if isinstance(exc, ValidationFailed)
            else None
        )
        return problem(exc.status, exc.title, exc.detail, code=exc.code, errors=errors)
    return JSONResponse(
        {"course_id": saved.course_id, "content_id": saved.content_id, "enabled": saved.enabled}
    )
