"""Where a resource-link launch lands: the learner's sessions with Join, or the instructor's
management summary of the linked event; and the few actions those pages offer."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from vilt.api.deps import RuntimeDep
from vilt.api.lti.pages import error_page, hub, render, session_uuid, texts_of, user_of, zone_of
from vilt.api.lti.texts import NOTES, say
from vilt.core.errors import DomainError, Forbidden, NotFound, TooEarly, ValidationFailed
from vilt.i18n import N_
from vilt.services import enrollments
from vilt.services import launch as launch_service
from vilt.services.browser_sessions import SignedIn
from vilt.services.context import Actor
from vilt.services.lti import landing, nrps
from vilt.services.lti.hub import ServiceError
from vilt.storage.lti_models import LtiResourceLink
from vilt.storage.repositories import events as events_repo
from vilt.storage.repositories import lti as repo

router = APIRouter(tags=["lti"])


def actor_of(signed: SignedIn) -> Actor:
    return Actor("user", str(signed.user.id), signed.user.display_name)


def _is_instructor(signed: SignedIn, link_id: uuid.UUID) -> bool:
    return bool(signed.session.data.get("instructor")) and session_uuid(signed, "link_id") == link_id


async def _link(runtime: RuntimeDep, signed: SignedIn, link_id: uuid.UUID) -> LtiResourceLink:
    if session_uuid(signed, "link_id") != link_id:
        raise Forbidden("This page belongs to another course link; open Vilt from that link in the LMS.")
    async with runtime.db.reading() as tx:
        link = await repo.link(tx, signed.user.account_id, link_id)
    if link is None:
        raise NotFound("This course link is no longer known to Vilt.")
    return link


def _imported_note(counts: str | None) -> str | None:
    """The import's numbers travel as ``members.enrolled.waitlisted``: only digits reach the page,
    so a crafted link cannot put words on it."""
    parts = (counts or "").split(".")
    if len(parts) != 3 or not all(p.isdigit() and len(p) <= 9 for p in parts):
        return None
    members, enrolled, waitlisted = parts
    return f"Imported {members} members: {enrolled} enrolled, {waitlisted} waitlisted."


@router.get("/lti/links/{link_id}")
async def link_page(
    link_id: uuid.UUID,
    request: Request,
    runtime: RuntimeDep,
    message: str | None = None,
    imported: str | None = None,
) -> Response:
    try:
        signed = await user_of(runtime, request)
        link = await _link(runtime, signed, link_id)
        instructor = _is_instructor(signed, link_id)
        async with runtime.db.reading() as tx:
            view = await landing.event_view(runtime.ctx, tx, link, signed.user, manager=instructor)
            events = await repo.events_for_picker(tx, link.account_id) if view is None and instructor else []
    except DomainError as exc:
        return await error_page(exc, request, runtime)
    texts = texts_of(request, signed)
    note = NOTES.get(message or "") or _imported_note(imported)
    return render(
        "link.html",
        texts,
        zone=zone_of(signed),
        link=link,
        view=view,
        instructor=instructor,
        user=signed.user,
        csrf=signed.session.csrf_token,
        events=events,
        message=say(note, texts, zone_of(signed)) if note else None,
    )


@router.get("/lti/sessions/{session_id}/join")
async def join(session_id: uuid.UUID, request: Request, runtime: RuntimeDep) -> Response:
    signed = None
    try:
        signed = await user_of(runtime, request)
        answer = await launch_service.launch(
            runtime.ctx, runtime.db, signed.user.account_id, session_id, signed.user.id
        )
    except TooEarly as exc:
        texts, zone = texts_of(request, signed), zone_of(signed)
        return render(
            "error.html",
            texts,
            409,
            title=texts.gettext(N_("Not open yet")),
            detail=say(exc.detail, texts, zone),
            reason="too_early",
        )
    except DomainError as exc:
        return await error_page(exc, request, runtime, signed=signed)
    return RedirectResponse(answer.url, status_code=303)


@router.post("/lti/links/{link_id}/sessions/{session_id}/enroll")
async def enroll(
    link_id: uuid.UUID, session_id: uuid.UUID, request: Request, runtime: RuntimeDep
) -> Response:
    try:
        signed = await user_of(runtime, request, csrf=True)
        link = await _link(runtime, signed, link_id)
        async with runtime.db.transaction() as tx:
            session = await events_repo.get_session(tx, link.account_id, session_id, for_update=True)
            if session is None or session.event_id != link.event_id:
                raise NotFound("This session is not part of the linked event.")
            await enrollments.enroll(runtime.ctx, tx, session, signed.user.id, actor_of(signed))
    except DomainError as exc:
        return await error_page(exc, request, runtime)
    return RedirectResponse(f"/lti/links/{link_id}?message=enrolled", status_code=303)


async def _instructor_form(
    runtime: RuntimeDep, request: Request, link_id: uuid.UUID
) -> tuple[SignedIn, LtiResourceLink]:
    signed = await user_of(runtime, request, csrf=True)
    link = await _link(runtime, signed, link_id)
    if not _is_instructor(signed, link_id):
        raise Forbidden("Only the course's instructors can do this.")
    return signed, link


@router.post("/lti/links/{link_id}/bind")
async def bind(link_id: uuid.UUID, request: Request, runtime: RuntimeDep) -> Response:
    try:
        _signed, link = await _instructor_form(runtime, request, link_id)
        raw = (await request.form()).get("event_id")
        try:
            event_id = uuid.UUID(str(raw))
        except ValueError:
            raise ValidationFailed.one("event_id", "Choose an event.") from None
        async with runtime.db.transaction() as tx:
            if await events_repo.get_event(tx, link.account_id, event_id) is None:
                raise NotFound("No such event in this account.")
            row = await repo.link(tx, link.account_id, link.id)
            assert row is not None
            row.event_id = event_id
            row.updated_at = runtime.clock.now()
    except DomainError as exc:
        return await error_page(exc, request, runtime)
    return RedirectResponse(f"/lti/links/{link_id}?message=bound", status_code=303)


@router.post("/lti/links/{link_id}/grade-sync")
async def grade_sync(link_id: uuid.UUID, request: Request, runtime: RuntimeDep) -> Response:
    try:
        _signed, link = await _instructor_form(runtime, request, link_id)
        mode = (await request.form()).get("grade_sync")
        if mode not in ("on_submit", "every_change"):
            raise ValidationFailed.one("grade_sync", "Choose on_submit or every_change.")
        async with runtime.db.transaction() as tx:
            row = await repo.link(tx, link.account_id, link.id)
            assert row is not None
            row.grade_sync = str(mode)
    except DomainError as exc:
        return await error_page(exc, request, runtime)
    return RedirectResponse(f"/lti/links/{link_id}?message=saved", status_code=303)


@router.post("/lti/links/{link_id}/import-members")
async def import_members(link_id: uuid.UUID, request: Request, runtime: RuntimeDep) -> Response:
    try:
        signed, link = await _instructor_form(runtime, request, link_id)
        async with runtime.db.reading() as tx:
            job = await nrps.prepare(runtime.ctx, tx, link.account_id, link.id)
        try:
            members, pages = await nrps.fetch_members(hub(runtime), job)
        except ServiceError as exc:
            texts = texts_of(request, signed)
            return render(
                "error.html",
                texts,
                502,
                title=texts.gettext(N_("The LMS did not give the roster")),
                detail=say(exc.reason, texts, zone_of(signed)),
                reason="nrps_failed",
            )
        async with runtime.db.transaction() as tx:
            report = await nrps.apply(
                runtime.ctx, tx, link.account_id, link.id, members, pages, actor_of(signed)
            )
    except DomainError as exc:
        return await error_page(exc, request, runtime)
    runtime.worker.wake.set()
    counts = f"{report.members}.{report.enrolled}.{report.waitlisted}"
    return RedirectResponse(f"/lti/links/{link_id}?imported={counts}", status_code=303)
