"""The proctoring check page: the learner confirms who they are, then Vilt sends the platform
a signed LtiStartAssessment (auto-posted to its start_assessment_url)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from vilt.api.deps import RuntimeDep
from vilt.api.lti.pages import autopost, error_page, render, texts_of, user_of, zone_of
from vilt.api.lti.texts import detail_of
from vilt.core.errors import DomainError, NotFound, ValidationFailed
from vilt.i18n import N_
from vilt.services import launch as launch_service
from vilt.services.lti import proctoring

router = APIRouter(tags=["lti"])


async def _page(
    runtime: RuntimeDep,
    request: Request,
    attempt_id: uuid.UUID,
    *,
    ended: bool,
    error: DomainError | None = None,
) -> Response:
    signed = await user_of(runtime, request)
    async with runtime.db.reading() as tx:
        attempt = await proctoring.attempt_of_user(tx, signed.user.account_id, attempt_id, signed.user)
    texts = texts_of(request, signed)
    return render(
        "proctoring.html",
        texts,
        400 if error else 200,
        attempt=attempt,
        user=signed.user,
        csrf=signed.session.csrf_token,
        ended=ended,
        error=detail_of(error, texts, zone_of(signed)) if error else None,
        proctor_room=f"/lti/proctoring/{attempt.id}/room" if attempt.proctor_session_id else None,
    )


@router.get("/lti/proctoring/{attempt_id}")
async def check(attempt_id: uuid.UUID, request: Request, runtime: RuntimeDep) -> Response:
    try:
        return await _page(runtime, request, attempt_id, ended=False)
    except DomainError as exc:
        return await error_page(exc, request, runtime)


@router.get("/lti/proctoring/{attempt_id}/room")
async def room(attempt_id: uuid.UUID, request: Request, runtime: RuntimeDep) -> Response:
    """Into the assessment's live proctor room, as a participant (through Vilt's launch, so the
    room's window and the provider's join URL apply as for any session)."""
    try:
        signed = await user_of(runtime, request)
        async with runtime.db.reading() as tx:
            attempt = await proctoring.attempt_of_user(tx, signed.user.account_id, attempt_id, signed.user)
        if attempt.proctor_session_id is None:
            raise NotFound("This assessment has no live proctor room.")
        answer = await launch_service.launch(
            runtime.ctx, runtime.db, signed.user.account_id, attempt.proctor_session_id, signed.user.id
        )
    except DomainError as exc:
        return await error_page(exc, request, runtime)
    return RedirectResponse(answer.url, status_code=303)


@router.get("/lti/proctoring/{attempt_id}/ended")
async def ended(attempt_id: uuid.UUID, request: Request, runtime: RuntimeDep) -> Response:
    try:
        return await _page(runtime, request, attempt_id, ended=True)
    except DomainError as exc:
        return await error_page(exc, request, runtime)


@router.post("/lti/proctoring/{attempt_id}")
async def confirm(attempt_id: uuid.UUID, request: Request, runtime: RuntimeDep) -> Response:
    try:
        signed = await user_of(runtime, request, csrf=True)
        form = await request.form()
        name = str(form.get("confirmed_name") or "")
        try:
            if form.get("agree") != "yes":
                raise ValidationFailed.one("agree", "Confirm that you take this assessment yourself.")
            async with runtime.db.transaction() as tx:
                attempt = await proctoring.attempt_of_user(
                    tx, signed.user.account_id, attempt_id, signed.user
                )
                started = await proctoring.confirm(runtime.ctx, tx, attempt, signed.user, confirmed_name=name)
        except ValidationFailed as exc:
            return await _page(runtime, request, attempt_id, ended=False, error=exc)
    except DomainError as exc:
        return await error_page(exc, request, runtime)
    return autopost(
        started.url, {"JWT": started.jwt}, N_("Starting the assessment"), texts_of(request, signed)
    )
