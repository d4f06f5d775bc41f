"""The Ultra extension's pages: Learn's OAuth callback, the extension page, its settings save."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict

from vilt.api.deps import RuntimeDep
from vilt.api.lti.pages import SignInNeeded, error_page, hub, render
from vilt.api.lti.texts import detail_of, say
from vilt.api.problems import problem
from vilt.core.errors import DomainError, ValidationFailed
from vilt.i18n import N_, Texts, first_language
from vilt.services import browser_sessions, users
from vilt.services.lti import tickets, uef
from vilt.storage.repositories import lti as repo

router = APIRouter(tags=["lti"])
SESSION_HEADER = "X-Vilt-Session"
SAVE_TIMEOUT_MS = 4000
"""The page answers Ultra within this, whatever the server does: Ultra gives up after 5 s."""
SCRIPT_TEXTS = {
    "panelTitle": N_("Proctored by Vilt"),
    "panelText": N_(
        "Learners confirm their identity before the attempt starts; proctors can pause, resume, flag or "
        "end an attempt from Vilt."
    ),
    "saveTimeout": N_(
        "Vilt did not confirm the proctoring settings in time; they may not be saved. Please save again."
    ),
    "saveFailed": N_("Vilt could not save the proctoring settings: %(reason)s"),
    "saveFailedStatus": N_("Vilt could not save the proctoring settings (HTTP %(status)s)."),
    "unreachable": N_("Vilt could not be reached to save the proctoring settings. Please try again."),
}
"""What ``uef.js`` shows people (in Learn's proctoring panel and as a failed save), translated
into the page's language; the script fills in ``%(reason)s`` and ``%(status)s``."""


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
        return await error_page(exc, request, runtime)
    return RedirectResponse(f"/lti/uef/page/{ticket}", status_code=303)


@router.get("/lti/uef/page/{ticket}")
async def page(ticket: str, request: Request, runtime: RuntimeDep) -> Response:
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
        return await error_page(exc, request, runtime)
    assert platform is not None
    # what the script shows in Learn (its panel, a failed save) is in the user's language
    texts = Texts(first_language(user.locale, accept_language=request.headers.get("accept-language")))
    config: dict[str, Any] = {
        "learnOrigin": platform.uef_learn_url,
        "token": learn_token,
        "handle": platform.proctoring_handle,
        "session": session,
        "settingsUrl": "/lti/uef/settings",
        "saveTimeoutMs": SAVE_TIMEOUT_MS,
        "texts": {name: texts.gettext(message) for name, message in SCRIPT_TEXTS.items()},
    }
    return render("uef.html", texts, config=config)


class SettingsBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    course_id: str | None = None
    content_id: str | None = None
    enabled: bool | None = None
    proctoring_placement_handle: str | None = None


@router.post("/lti/uef/settings")
async def save_settings(body: SettingsBody, request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Called by the extension page (its session token in a header: Ultra's iframe may not
    carry cookies); a refusal's title and detail are in the user's language (the script shows
    the detail in Learn)."""
    language = None  # read while the session is open: a failed transaction expires the user
    try:
        async with runtime.db.transaction() as tx:
            signed = await browser_sessions.resolve(runtime.ctx, tx, request.headers.get(SESSION_HEADER))
            if signed is None or not signed.session.data.get("uef"):
                raise SignInNeeded("The Ultra extension's session expired; reload the Learn page.")
            language = signed.user.locale
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
        texts = Texts(first_language(language, accept_language=request.headers.get("accept-language")))
        return problem(exc.status, say(exc.title, texts), detail_of(exc, texts), code=exc.code, errors=errors)
    return JSONResponse(
        {"course_id": saved.course_id, "content_id": saved.content_id, "enabled": saved.enabled}
    )
