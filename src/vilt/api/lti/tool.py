"""OIDC login initiation, the launch endpoint (redirect_uri) and the tool's key set."""

from __future__ import annotations

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from vilt.api.browser import set_session_cookie
from vilt.api.deps import RuntimeDep
from vilt.api.lti.pages import error_page, hub, texts_of
from vilt.core.errors import DomainError
from vilt.core.lti import LaunchRefused, launch_locale
from vilt.services import browser_sessions
from vilt.services.lti import keys, launch, oidc

log = structlog.get_logger(__name__)
router = APIRouter(tags=["lti"])


async def _params(request: Request) -> dict[str, str]:
    values = {k: v for k, v in request.query_params.items()}
    if request.method == "POST":
        form = await request.form()
        values.update({k: v for k, v in form.items() if isinstance(v, str)})
    return values


@router.api_route("/lti/login", methods=["GET", "POST"])
async def login(request: Request, runtime: RuntimeDep) -> Response:
    """Third-party initiated login: the LMS names itself and the user; Vilt answers with a
    redirect to the LMS's authorization endpoint carrying a fresh state and nonce."""
    try:
        params = await _params(request)
        async with runtime.db.transaction() as tx:
            target = await oidc.login_redirect(runtime.ctx, tx, params)
    except DomainError as exc:
        log.info("lti.login_refused", reason=exc.extra.get("reason"), issuer=request.query_params.get("iss"))
        return await error_page(exc, request)
    return RedirectResponse(target, status_code=302)


@router.post("/lti/launch")
async def launch_endpoint(request: Request, runtime: RuntimeDep) -> Response:
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    verified: oidc.Verified | None = None
    try:
        if fields.get("error"):
            raise LaunchRefused(
                "platform_error",
                f"The LMS refused the sign-in: {fields.get('error_description') or fields['error']}.",
            )
        async with runtime.db.transaction() as tx:
            # spent before anything else, so even a launch that fails later cannot be replayed
            started = await oidc.consume_state(runtime.ctx, tx, fields.get("state"))
        async with runtime.db.reading() as tx:
            verified = await oidc.verify(runtime.ctx, tx, hub(runtime), started, fields.get("id_token"))
        async with runtime.db.transaction() as tx:
            landing = await launch.land(
                runtime.ctx, tx, verified, browser_language=texts_of(request).language
            )
            token = (
                await browser_sessions.open_session(
                    runtime.ctx, tx, landing.user, "lti", landing.session_data
                )
                if landing.sign_in
                else None
            )
    except DomainError as exc:
        log.info("lti.launch_refused", reason=exc.extra.get("reason"), detail=exc.detail)
        # a verified launch names the language; before that, the browser does
        return await error_page(exc, request, locale=launch_locale(verified.claims) if verified else None)
    runtime.worker.wake.set()
    log.info("lti.launched", message_type=verified.message_type, platform=str(verified.platform.id))
    response = RedirectResponse(landing.redirect, status_code=303)
    if token is not None:
        set_session_cookie(runtime, response, token, embedded=True)
    return response


@router.get("/lti/jwks")
@router.get("/.well-known/jwks.json")
async def jwks(runtime: RuntimeDep) -> JSONResponse:
    """Vilt's public keys: the signing key and rotated keys until they expire."""
    async with runtime.db.transaction() as tx:
        key_set = await keys.key_set(runtime.ctx, tx)
    return JSONResponse(key_set, headers={"Cache-Control": "max-age=300"})
