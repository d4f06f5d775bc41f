"""The session roster: learners with attendance, completion, minutes, source and last change;
edits by hand with a reason; Update roster (24 h after the end, overwriting, confirmed);
Submit roster; versions and their differences; records that matched nobody."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.completion import AttendanceMark, Completion
from vilt.core.errors import DomainError
from vilt.core.identity import normalize_email
from vilt.services import attendance_review, roster_update
from vilt.services import roster as service
from vilt.services import sessions as sessions_service
from vilt.storage.repositories import attendance as attendance_repo
from vilt.storage.repositories import enrollments as enrollments_repo
from vilt.storage.repositories import users as users_repo
from vilt.web.forms import Form, FormErrors, errors_from
from vilt.web.pages import AdminChange, Page, StaffChange, StaffPage, options
from vilt.web.routes.common import page_router
from vilt.web.session_rows import session_rows

router = page_router()


async def _render(
    page: Page,
    session_id: uuid.UUID,
    *,
    errors: FormErrors | None = None,
    editing: str | None = None,
    status: int = 200,
    fragment: bool = False,
    typed: dict[str, str] | None = None,
) -> Response:
    account_id = page.user.user.account_id
    async with page.runtime.db.reading() as tx:
        session = await sessions_service.get(tx, account_id, session_id)
        row = (await session_rows(tx, [session]))[0]
        view = await service.view(tx, session)
        people = await enrollments_repo.users_of(tx, session.id)
        versions = await service.versions(tx, session)
        latest = await attendance_repo.latest_import(tx, session.id)
        records = await attendance_repo.records(tx, latest.id) if latest else []
        unmatched = [r for r in records if r.enrollment_id is None]
        suggested_ids = {uuid.UUID(s) for r in unmatched for s in r.suggestions}
        suggested = {u.id: u for u in await users_repo.many(tx, account_id, suggested_ids)}
    now = page.runtime.clock.now()
    entries = sorted(
        view.entries,
        key=lambda e: people[uuid.UUID(e.user_id)].display_name if uuid.UUID(e.user_id) in people else "",
    )
    context: dict[str, Any] = {
        "row": row,
        "session": session,
        "view": view,
        "entries": entries,
        "people": {str(k): v for k, v in people.items()},
        "versions": list(reversed(versions)),
        "latest_import": latest,
        "unmatched": unmatched,
        "suggested": {str(k): v for k, v in suggested.items()},
        "errors": errors or FormErrors(),
        "editing": editing,
        "typed": typed or {},
        "update_open": view.update_allowed_at is not None and now >= view.update_allowed_at,
        "attendance_options": options(page, "attendance", [m.value for m in AttendanceMark]),
        "completion_options": options(page, "completion", [c.value for c in Completion]),
    }
    template = "sessions/_roster_table.html" if fragment else "sessions/roster.html"
    return page.render(template, status=status, **context)


@router.get("/sessions/{session_id}/roster")
async def roster_page(page: StaffPage, session_id: uuid.UUID) -> Response:
    return await _render(page, session_id)


@router.post("/sessions/{session_id}/roster/entries/{enrollment_id}")
async def edit_entry(
    page: StaffChange, session_id: uuid.UUID, enrollment_id: uuid.UUID, request: Request
) -> Response:
    form = Form(await request.form(), page.texts)
    attendance = form.text("attendance")
    completion = form.text("completion")
    minutes = form.integer("minutes", "seconds")
    errors = form.errors
    if minutes is not None and minutes < 0:
        errors.add("seconds", page.gettext("Minutes cannot be negative."))
    if not errors:
        try:
            async with page.runtime.db.transaction() as tx:
                session = await sessions_service.get(
                    tx, page.user.user.account_id, session_id, for_update=True
                )
                await service.edit(
                    page.runtime.ctx,
                    tx,
                    session,
                    enrollment_id,
                    attendance=AttendanceMark(attendance)
                    if attendance in AttendanceMark._value2member_map_
                    else None,
                    completion=Completion(completion)
                    if completion in Completion._value2member_map_
                    else None,
                    seconds=minutes * 60 if minutes is not None else None,
                    reason=form.text("reason"),
                    actor=page.user.actor,
                )
        except DomainError as exc:
            errors = errors_from(exc, page.texts, page.zone)
    if errors:
        return await _render(
            page,
            session_id,
            errors=errors,
            editing=str(enrollment_id),
            status=422 if not page.htmx else 200,
            fragment=page.htmx,
        )
    if page.htmx:
        return await _render(page, session_id, fragment=True)
    return page.redirect(f"/sessions/{session_id}/roster", page.gettext("The result was changed."))


@router.post("/sessions/{session_id}/roster/records/{record_id}/bind")
async def bind_record(
    page: AdminChange, session_id: uuid.UUID, record_id: uuid.UUID, request: Request
) -> Response:
    """An administrator says who an unmatched participant was: a suggestion, an enrolled learner,
    or anyone in the account by email."""
    form = Form(await request.form(), page.texts)
    account_id = page.user.user.account_id
    field = f"bind.{record_id}"
    chosen, address = form.text("user_id"), form.text("email")
    try:
        async with page.runtime.db.transaction() as tx:
            user_id = await _bound_person(page, tx, chosen, address)
            session = await sessions_service.get(tx, account_id, session_id, for_update=True)
            bound = await attendance_review.bind(
                page.runtime.ctx, tx, session, record_id, user_id, page.user.actor
            )
    except (_NoPerson, DomainError) as exc:
        if isinstance(exc, _NoPerson):
            messages = [str(exc)]
        else:
            messages = [m for _, m in errors_from(exc, page.texts, page.zone).items]
        # what was chosen or typed comes back with the error, next to its record
        typed = {"record": str(record_id), "user_id": chosen, "email": address}
        return await _render(
            page, session_id, errors=FormErrors([(field, m) for m in messages]), status=422, typed=typed
        )
    said = " ".join(page.say(note) for note in bound.notes)
    return page.redirect(f"/sessions/{session_id}/roster#unmatched-heading", said)


class _NoPerson(Exception):
    """The bind form names nobody in the account; the message says why, in the reader's language."""


async def _bound_person(page: Page, tx: AsyncSession, chosen: str, address: str) -> uuid.UUID:
    if chosen:
        try:
            return uuid.UUID(chosen)
        except ValueError:
            raise _NoPerson(page.gettext("Choose one of the options.")) from None
    if not address:
        raise _NoPerson(page.gettext("Choose the person this record belongs to."))
    owner = await users_repo.owner_of_email(tx, page.user.user.account_id, normalize_email(address))
    if owner is None:
        raise _NoPerson(page.gettext("No user has the email %(address)s.", address=address))
    return owner


@router.post("/sessions/{session_id}/roster/update")
async def update_roster(page: StaffChange, session_id: uuid.UUID, request: Request) -> Response:
    form = Form(await request.form(), page.texts)
    account_id = page.user.user.account_id
    try:
        async with page.runtime.db.reading() as tx:
            job = await roster_update.prepare(
                page.runtime.ctx, tx, account_id, session_id, form.flag("confirm_overwrite")
            )
        fetched = await roster_update.fetch(page.runtime.ctx, job)
        async with page.runtime.db.transaction() as tx:
            outcome = await roster_update.finish(
                page.runtime.ctx, tx, account_id, job, fetched, page.user.actor
            )
    except DomainError as exc:
        return await _render(page, session_id, errors=errors_from(exc, page.texts, page.zone), status=409)
    return page.redirect(
        f"/sessions/{session_id}/roster",
        page.gettext(
            "The roster was updated (version %(version)s). %(note)s",
            version=outcome.version,
            note=page.say(outcome.note),
        ),
    )


@router.post("/sessions/{session_id}/roster/submit")
async def submit_roster(page: StaffChange, session_id: uuid.UUID) -> Response:
    try:
        async with page.runtime.db.transaction() as tx:
            session = await sessions_service.get(tx, page.user.user.account_id, session_id, for_update=True)
            await service.submit(page.runtime.ctx, tx, session, page.user.actor)
    except DomainError as exc:
        return page.redirect(f"/sessions/{session_id}/roster", page.say(exc.detail), "error")
    return page.redirect(
        f"/sessions/{session_id}/roster",
        page.gettext("The roster was submitted: it is locked and its results are published."),
    )


@router.post("/sessions/{session_id}/roster/reopen")
async def reopen_roster(page: AdminChange, session_id: uuid.UUID, request: Request) -> Response:
    form = Form(await request.form(), page.texts)
    try:
        async with page.runtime.db.transaction() as tx:
            session = await sessions_service.get(tx, page.user.user.account_id, session_id, for_update=True)
            await service.reopen(page.runtime.ctx, tx, session, page.user.actor, form.text("reason"))
    except DomainError as exc:
        return await _render(page, session_id, errors=errors_from(exc, page.texts, page.zone), status=422)
    return page.redirect(f"/sessions/{session_id}/roster", page.gettext("The roster was reopened."))


@router.get("/sessions/{session_id}/roster/compare")
async def compare(
    page: StaffPage,
    session_id: uuid.UUID,
    before: Annotated[int, Query(ge=0)],
    after: Annotated[int, Query(ge=1)],
) -> Response:
    account_id = page.user.user.account_id
    async with page.runtime.db.reading() as tx:
        session = await sessions_service.get(tx, account_id, session_id)
        changes = await service.compare(tx, session, before, after)
        people = await enrollments_repo.users_of(tx, session.id)
    template = "sessions/_compare.html" if page.htmx else "sessions/compare.html"
    return page.render(
        template,
        session=session,
        changes=changes,
        people={str(k): v for k, v in people.items()},
        before=before,
        after=after,
    )
