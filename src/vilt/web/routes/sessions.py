"""One session: Start / Join / End for instructors, the "already running" state, the provider
meeting and its sync state (with Retry), linking an existing meeting, and the participants."""

from __future__ import annotations

import uuid

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from vilt.core.errors import DomainError
from vilt.core.identity import normalize_email
from vilt.providers.base import Capability
from vilt.services import enrollments as enrollments_service
from vilt.services import events as events_service
from vilt.services import launch as launch_service
from vilt.services import meeting_links
from vilt.services import sessions as service
from vilt.storage.repositories import enrollments as enrollments_repo
from vilt.storage.repositories import roster as roster_repo
from vilt.storage.repositories import users as users_repo
from vilt.web.forms import Form, FormErrors, errors_from
from vilt.web.pages import Page, StaffChange, StaffPage
from vilt.web.routes.common import page_router
from vilt.web.session_rows import SessionRow, session_rows

router = page_router()


async def _row(page: Page, session_id: uuid.UUID) -> SessionRow:
    async with page.runtime.db.reading() as tx:
        session = await service.get(tx, page.user.user.account_id, session_id)
        return (await session_rows(tx, [session]))[0]


async def _render(
    page: Page, session_id: uuid.UUID, *, errors: FormErrors | None = None, status: int = 200
) -> Response:
    account_id = page.user.user.account_id
    async with page.runtime.db.reading() as tx:
        session = await service.get(tx, account_id, session_id)
        row = (await session_rows(tx, [session]))[0]
        event = await events_service.get(tx, account_id, session.event_id)
        enrollments = list((await tx.scalars(enrollments_repo.listing(session.id))).all())
        people = await enrollments_repo.users_of(tx, session.id)
        results = await roster_repo.current_for_enrollments(tx, [e.id for e in enrollments])
    fragment = "sessions/_status.html" if page.htmx else "sessions/detail.html"
    return page.render(
        fragment,
        status=status,
        row=row,
        session=session,
        event=event,
        enrollments=enrollments,
        people=people,
        results=results,
        errors=errors or FormErrors(),
        now=page.runtime.clock.now(),
        can_link=row.info is not None and Capability.LINK_EXISTING in row.info.capabilities,
        is_host=row.is_instructor(page.user.user),
    )


@router.get("/sessions/{session_id}")
async def session_page(page: StaffPage, session_id: uuid.UUID) -> Response:
    return await _render(page, session_id)


async def _act(page: Page, session_id: uuid.UUID, done: str, action: str) -> Response:
    ctx, account_id, actor = page.runtime.ctx, page.user.user.account_id, page.user.actor
    try:
        async with page.runtime.db.transaction() as tx:
            if action == "start":
                await service.start(ctx, tx, account_id, session_id, actor)
            elif action == "end":
                await service.end(ctx, tx, account_id, session_id, actor)
            elif action == "cancel":
                await service.cancel(ctx, tx, account_id, session_id, actor)
            else:
                await service.retry_sync(ctx, tx, account_id, session_id)
    except DomainError as exc:
        return page.redirect(f"/sessions/{session_id}", page.say(exc.detail), "error")
    await page.runtime.worker.run_now(session_id)
    return page.redirect(f"/sessions/{session_id}", done)


@router.post("/sessions/{session_id}/start")
async def start(page: StaffChange, session_id: uuid.UUID) -> Response:
    """Start: the session is live (learners see Join). An instructor of the session is taken
    into the room at once (the form opens it in a new tab); the page shows "Already running"."""
    row = await _row(page, session_id)
    if not row.is_instructor(page.user.user):
        return await _act(page, session_id, page.gettext("The session is running."), "start")
    async with page.runtime.db.transaction() as tx:
        await service.start(page.runtime.ctx, tx, page.user.user.account_id, session_id, page.user.actor)
    await page.runtime.worker.run_now(session_id)
    return await _join(page, session_id)


async def _join(page: Page, session_id: uuid.UUID) -> Response:
    answer = await launch_service.launch(
        page.runtime.ctx, page.runtime.db, page.user.user.account_id, session_id, page.user.user.id
    )
    return RedirectResponse(answer.url, status_code=303)


@router.post("/sessions/{session_id}/join")
async def join(page: StaffChange, session_id: uuid.UUID) -> Response:
    return await _join(page, session_id)


@router.post("/sessions/{session_id}/end")
async def end(page: StaffChange, session_id: uuid.UUID) -> Response:
    return await _act(
        page, session_id, page.gettext("The session was ended; attendance is collected next."), "end"
    )


@router.post("/sessions/{session_id}/cancel")
async def cancel(page: StaffChange, session_id: uuid.UUID) -> Response:
    return await _act(page, session_id, page.gettext("The session was canceled."), "cancel")


@router.post("/sessions/{session_id}/sync")
async def retry(page: StaffChange, session_id: uuid.UUID) -> Response:
    """Retry the push to the provider now instead of waiting for the back-off."""
    return await _act(page, session_id, page.gettext("Sent to the provider again."), "sync")


@router.post("/sessions/{session_id}/link-meeting")
async def link_meeting(page: StaffChange, session_id: uuid.UUID, request: Request) -> Response:
    form = Form(await request.form(), page.texts)
    try:
        async with page.runtime.db.transaction() as tx:
            await meeting_links.link_existing(
                page.runtime.ctx,
                tx,
                page.user.user.account_id,
                session_id,
                form.text("provider_ref"),
                page.user.actor,
            )
    except DomainError as exc:
        return await _render(page, session_id, errors=errors_from(exc, page.texts, page.zone), status=422)
    return page.redirect(f"/sessions/{session_id}", page.gettext("The session uses that meeting now."))


@router.post("/sessions/{session_id}/enrollments")
async def enroll(page: StaffChange, session_id: uuid.UUID, request: Request) -> Response:
    form = Form(await request.form(), page.texts)
    email = normalize_email(form.text("email"))
    account_id = page.user.user.account_id
    errors = FormErrors()
    try:
        async with page.runtime.db.transaction() as tx:
            user_id = await users_repo.owner_of_email(tx, account_id, email) if email else None
            if user_id is None:
                errors.add("email", page.gettext("Nobody in this account has that email address."))
            else:
                session = await enrollments_service.session_of(tx, account_id, session_id)
                enrollment = await enrollments_service.enroll(
                    page.runtime.ctx, tx, session, user_id, page.user.actor
                )
                status = enrollment.status
    except DomainError as exc:
        errors = errors_from(exc, page.texts, page.zone)
    if errors:
        return await _render(page, session_id, errors=errors, status=422)
    message = (
        page.gettext("Enrolled.")
        if status == "registered"
        else page.gettext("The session is full: waitlisted.")
    )
    return page.redirect(f"/sessions/{session_id}#participants", message)


@router.post("/sessions/{session_id}/enrollments/{enrollment_id}/cancel")
async def cancel_enrollment(page: StaffChange, session_id: uuid.UUID, enrollment_id: uuid.UUID) -> Response:
    async with page.runtime.db.transaction() as tx:
        session = await enrollments_service.session_of(tx, page.user.user.account_id, session_id)
        _, promoted = await enrollments_service.cancel(
            page.runtime.ctx, tx, session, enrollment_id, page.user.actor
        )
    message = page.gettext("The enrollment was canceled.")
    if promoted:
        message += " " + page.ngettext(
            "%(num)s learner from the waitlist got the seat.",
            "%(num)s learners from the waitlist got the seats.",
            len(promoted),
        )
    return page.redirect(f"/sessions/{session_id}#participants", message)
