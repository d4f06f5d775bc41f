"""LTI Dynamic Registration: the one URL an LMS administrator gives their LMS."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from vilt.api.deps import RuntimeDep
from vilt.api.lti.pages import error_page, hub, render, texts_of
from vilt.core.errors import DomainError
from vilt.core.lti import LaunchRefused
from vilt.services.lti import registration, tickets

router = APIRouter(tags=["lti"])


@router.get("/lti/register/{token}")
async def start(token: str, request: Request, runtime: RuntimeDep) -> Response:
    try:
        url = request.query_params.get("openid_configuration")
        if not url:
            raise LaunchRefused("config_missing", "Open this URL from your LMS's tool registration page.")
        async with runtime.db.reading() as tx:
            await tickets.peek(runtime.ctx, tx, "registration", token)
        registration_token = request.query_params.get("registration_token") or ""
        config = await registration.read_config(hub(runtime), url, registration_token)
    except DomainError as exc:
        return await error_page(exc, request)
    # the administrator registering the tool is not signed in to Vilt: the browser's language
    return render(
        "register.html",
        texts_of(request),
        config=config,
        registration_token=registration_token,
        platform=None,
    )


@router.post("/lti/register/{token}")
async def finish(token: str, request: Request, runtime: RuntimeDep) -> Response:
    try:
        form = await request.form()
        url = str(form.get("openid_configuration") or "")
        registration_token = str(form.get("registration_token") or "") or None
        async with runtime.db.reading() as tx:
            await tickets.peek(runtime.ctx, tx, "registration", token)
        config = await registration.read_config(hub(runtime), url, registration_token)
        answer = await registration.register(runtime.ctx, hub(runtime), config, registration_token)
        async with runtime.db.transaction() as tx:
            platform = await registration.save(runtime.ctx, tx, token, config, answer)
    except DomainError as exc:
        return await error_page(exc, request)
    return render("register.html", texts_of(request), platform=platform, config=config)
