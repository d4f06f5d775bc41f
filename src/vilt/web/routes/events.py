"""Events and scheduling their sessions: the event form (with its first session), Add
alternative session, and editing a session. Errors show next to their fields."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request, Response

from vilt.core.completion import RuleKind
from vilt.core.errors import DomainError, ValidationFailed
from vilt.core.sessions import EventKind, SessionDraft, SessionMode, validate_session
from vilt.services import events as events_service
from vilt.services import sessions as sessions_service
from vilt.services.events import EventInput
from vilt.services.sessions import SessionInput
from vilt.storage.models import Event, Session
from vilt.storage.repositories import events as events_repo
from vilt.storage.repositories import integrations as integrations_repo
from vilt.storage.repositories import users as users_repo
from vilt.web.forms import Form, FormErrors, errors_from
from vilt.web.pages import Page, StaffChange, StaffPage, options
from vilt.web.routes.common import page_router
from vilt.web.routes.home import time_zones
from vilt.web.session_rows import session_rows

router = page_router()

EVENT_FIELDS = ("title", "kind", "trainer", "location", "capacity", "description", "session_mode")
RULES_WITH_VALUE = (RuleKind.MIN_PERCENT.value, RuleKind.MIN_MINUTES.value)


class _Rollback(Exception):
    """Undo the transaction: the form had errors."""


@dataclass
class Choices:
    integrations: list[tuple[str, str]] = field(default_factory=list)
    instructors: list[tuple[str, str]] = field(default_factory=list)


async def _choices(page: Page) -> Choices:
    account_id = page.user.user.account_id
    async with page.runtime.db.reading() as tx:
        rows = list((await tx.scalars(integrations_repo.listing(account_id))).all())
        people = await users_repo.with_role(tx, account_id, "instructor")
    return Choices(
        integrations=[(str(r.id), r.name) for r in rows if r.active],
        instructors=[(str(u.id), u.display_name) for u in people],
    )


def _session_values(session: Session | None, event: Event | None, page: Page) -> dict[str, Any]:
    if session is None:
        start = (page.runtime.clock.now() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
        local = start.astimezone(ZoneInfo(page.zone))
        return {
            "session_title": "",
            "starts_on": local.date().isoformat(),
            "starts_time": local.strftime("%H:%M"),
            "time_zone": page.zone,
            "hours": "1",
            "minutes": "0",
            "integration_id": "",
            "session_capacity": "",
            "instructor_ids": [str(page.user.user.id)] if page.user.has("instructor") else [],
        }
    local = session.starts_at.astimezone(ZoneInfo(session.time_zone))
    return {
        "session_title": session.title,
        "starts_on": local.date().isoformat(),
        "starts_time": local.strftime("%H:%M"),
        "time_zone": session.time_zone,
        "hours": str(session.duration_minutes // 60),
        "minutes": str(session.duration_minutes % 60),
        "integration_id": str(session.integration_id or ""),
        "session_capacity": "" if session.capacity is None else str(session.capacity),
        "instructor_ids": [],
    }


def _event_values(event: Event | None) -> dict[str, Any]:
    if event is None:
        return {
            "kind": "webinar",
            "location": "Online",
            "session_mode": "alternative",
            "rule_kind": "attended",
        }
    rule = event.completion_rule or {}
    return {
        "title": event.title,
        "kind": event.kind,
        "trainer": event.trainer,
        "location": event.location,
        "capacity": "" if event.capacity is None else str(event.capacity),
        "description": event.description,
        "session_mode": event.session_mode,
        "rule_kind": rule.get("kind", "attended"),
        "rule_value": "" if rule.get("value") is None else str(rule.get("value")),
    }


def _typed(form: Form) -> dict[str, Any]:
    names = (*EVENT_FIELDS, "session_title", "starts_on", "starts_time", "time_zone", "hours", "minutes")
    values: dict[str, Any] = {name: form.text(name) for name in names}
    values.update(
        integration_id=form.text("integration_id"),
        session_capacity=form.text("session_capacity"),
        instructor_ids=form.values("instructor_ids"),
        rule_kind=form.text("rule_kind"),
        rule_value=form.text("rule_value"),
    )
    return values


def _event_input(form: Form) -> EventInput:
    rule_kind = form.text("rule_kind") or "attended"
    rule: dict[str, Any] = {"kind": rule_kind}
    if rule_kind in RULES_WITH_VALUE:
        rule["value"] = form.integer("rule_value", "completion_rule.value")
    return EventInput(
        title=form.text("title"),
        kind=form.text("kind") or None,
        trainer=form.text("trainer"),
        location=form.text("location") or "Online",
        capacity=form.integer("capacity"),
        description=form.text("description"),
        session_mode=form.text("session_mode") or None,
        completion_rule=rule,
        provided=frozenset({"capacity"}),
    )


def _session_input(form: Form, title: str | None) -> SessionInput:
    zone = form.text("time_zone") or "UTC"
    return SessionInput(
        title=title,
        starts_at=form.local_instant("starts_on", "starts_time", zone, "starts_at"),
        time_zone=zone,
        duration_minutes=form.duration_minutes("hours", "minutes", "duration_minutes"),
        integration_id=form.identifier("integration_id"),
        capacity=form.integer("session_capacity", "capacity"),
        instructor_ids=form.identifiers("instructor_ids"),
        provided=frozenset({"capacity", "integration_id", "title"}),
    )


def _draft_errors(data: SessionInput, page: Page) -> FormErrors:
    """The session's own errors when the event failed first, so the form shows all at once."""
    if data.starts_at is None or data.duration_minutes is None:
        return FormErrors()
    try:
        validate_session(
            SessionDraft(
                "-",
                data.starts_at,
                data.time_zone or "UTC",
                timedelta(minutes=data.duration_minutes),
                data.capacity,
                data.integration_id is not None,
            ),
            page.runtime.clock.now(),
        )
    except ValidationFailed as exc:
        return FormErrors.of(exc, page.texts, page.zone)
    return FormErrors()


def _session_errors(errors: FormErrors) -> FormErrors:
    # the session's capacity field is "session_capacity" on forms that also carry the event's
    return FormErrors([("session_capacity" if f == "capacity" else f, m) for f, m in errors.items])


async def _render_event_form(
    page: Page, *, event: Event | None, values: dict[str, Any], errors: FormErrors, status: int = 200
) -> Response:
    return page.render(
        "events/form.html",
        status=status,
        event=event,
        values=values,
        errors=errors,
        choices=await _choices(page),
        zones=time_zones(),
        kinds=options(page, "event_kind", [k.value for k in EventKind]),
        modes=options(page, "session_mode", [m.value for m in SessionMode]),
        rules=options(page, "rule", [r.value for r in RuleKind]),
    )


@router.get("/events")
async def events_list(page: StaffPage) -> Response:
    async with page.runtime.db.reading() as tx:
        rows = list((await tx.scalars(events_repo.events_listing(page.user.user.account_id))).all())
        counts = {e.id: len(await events_repo.sessions_of_event(tx, e.id)) for e in rows}
    return page.render("events/list.html", rows=list(reversed(rows)), counts=counts)


@router.get("/events/new")
async def new_event(page: StaffPage) -> Response:
    values = {**_event_values(None), **_session_values(None, None, page)}
    return await _render_event_form(page, event=None, values=values, errors=FormErrors())


@router.post("/events")
async def create_event(page: StaffChange, request: Request) -> Response:
    form = Form(await request.form(), page.texts)
    event_data = _event_input(form)
    session_data = _session_input(form, None)
    errors = form.errors
    created: tuple[uuid.UUID, uuid.UUID] | None = None
    try:
        async with page.runtime.db.transaction() as tx:
            try:
                event = await events_service.create(
                    page.runtime.ctx, tx, page.user.user.account_id, event_data, page.user.actor
                )
            except ValidationFailed as exc:
                errors.extend(FormErrors.of(exc, page.texts, page.zone))
                errors.extend(_session_errors(_draft_errors(session_data, page)))
                raise _Rollback from None
            try:
                if errors:
                    raise _Rollback
                session = await sessions_service.create(
                    page.runtime.ctx, tx, event, session_data, page.user.actor
                )
            except DomainError as exc:
                errors.extend(_session_errors(errors_from(exc, page.texts, page.zone)))
                raise _Rollback from None
            created = (event.id, session.id)
    except _Rollback:
        pass
    if created is None:
        return await _render_event_form(page, event=None, values=_typed(form), errors=errors, status=422)
    event_id, session_id = created
    return await _after_schedule(page, event_id, session_id, page.gettext("The event was created."))


async def _after_schedule(page: Page, event_id: uuid.UUID, session_id: uuid.UUID, done: str) -> Response:
    """Push to the provider at once, so the answer already says whether the meeting exists."""
    await page.runtime.worker.run_now(session_id)
    async with page.runtime.db.reading() as tx:
        session = await sessions_service.get(tx, page.user.user.account_id, session_id)
    if session.sync_state == "failed":
        reason = page.say(session.sync_error)
        return page.redirect(
            f"/events/{event_id}",
            page.gettext(
                "%(done)s The meeting could not be created on the provider yet: %(reason)s "
                "It is retried automatically.",
                done=done,
                reason=reason,
            ),
            "error",
        )
    if session.integration_id is not None and session.provider_ref:
        return page.redirect(
            f"/events/{event_id}",
            page.gettext("%(done)s The meeting was created on the provider.", done=done),
        )
    return page.redirect(f"/events/{event_id}", done)


async def _event(page: Page, event_id: uuid.UUID) -> Event:
    async with page.runtime.db.reading() as tx:
        return await events_service.get(tx, page.user.user.account_id, event_id)


@router.get("/events/{event_id}")
async def event_page(page: StaffPage, event_id: uuid.UUID) -> Response:
    async with page.runtime.db.reading() as tx:
        event = await events_service.get(tx, page.user.user.account_id, event_id)
        sessions = await events_repo.sessions_of_event(tx, event.id)
        rows = await session_rows(tx, sessions)
    return page.render("events/detail.html", event=event, rows=rows)


@router.get("/events/{event_id}/edit")
async def edit_event_page(page: StaffPage, event_id: uuid.UUID) -> Response:
    event = await _event(page, event_id)
    return await _render_event_form(page, event=event, values=_event_values(event), errors=FormErrors())


@router.post("/events/{event_id}/edit")
async def edit_event(page: StaffChange, event_id: uuid.UUID, request: Request) -> Response:
    form = Form(await request.form(), page.texts)
    data = _event_input(form)
    errors = form.errors
    if not errors:
        try:
            async with page.runtime.db.transaction() as tx:
                await events_service.update(
                    page.runtime.ctx, tx, page.user.user.account_id, event_id, data, page.user.actor
                )
        except DomainError as exc:
            errors = errors_from(exc, page.texts, page.zone)
    if errors:
        event = await _event(page, event_id)
        return await _render_event_form(page, event=event, values=_typed(form), errors=errors, status=422)
    return page.redirect(f"/events/{event_id}", page.gettext("Saved."))


async def _render_session_form(
    page: Page,
    *,
    event: Event,
    session: Session | None,
    values: dict[str, Any],
    errors: FormErrors,
    status: int = 200,
) -> Response:
    return page.render(
        "events/session_form.html",
        status=status,
        event=event,
        session=session,
        values=values,
        errors=errors,
        choices=await _choices(page),
        zones=time_zones(),
    )


@router.get("/events/{event_id}/sessions/new")
async def new_session(page: StaffPage, event_id: uuid.UUID) -> Response:
    event = await _event(page, event_id)
    async with page.runtime.db.reading() as tx:
        sessions = await events_repo.sessions_of_event(tx, event.id)
        last = sessions[-1] if sessions else None
        instructors = await events_repo.instructor_ids(tx, last.id) if last else []
    values = _session_values(None, event, page)
    if last is not None:
        # an alternative session: like the last one, a day later
        values.update(
            {k: v for k, v in _session_values(last, event, page).items() if k not in ("starts_on",)},
            starts_on=(last.starts_at + timedelta(days=1))
            .astimezone(ZoneInfo(last.time_zone))
            .date()
            .isoformat(),
            instructor_ids=[str(i) for i in instructors],
            session_title="",
        )
    return await _render_session_form(page, event=event, session=None, values=values, errors=FormErrors())


@router.post("/events/{event_id}/sessions")
async def create_session(page: StaffChange, event_id: uuid.UUID, request: Request) -> Response:
    form = Form(await request.form(), page.texts)
    event = await _event(page, event_id)
    data = _session_input(form, form.text("session_title") or None)
    errors = form.errors
    session_id = None
    if not errors:
        try:
            async with page.runtime.db.transaction() as tx:
                found = await events_service.get(tx, page.user.user.account_id, event_id)
                session = await sessions_service.create(page.runtime.ctx, tx, found, data, page.user.actor)
                session_id = session.id
        except DomainError as exc:
            errors = _session_errors(errors_from(exc, page.texts, page.zone))
    if session_id is None:
        return await _render_session_form(
            page, event=event, session=None, values=_typed(form), errors=_title_errors(errors), status=422
        )
    return await _after_schedule(page, event_id, session_id, page.gettext("The session was added."))


def _title_errors(errors: FormErrors) -> FormErrors:
    # on the session form, the title field is the session's
    return FormErrors([("session_title" if f == "title" else f, m) for f, m in errors.items])


@router.get("/sessions/{session_id}/edit")
async def edit_session_page(page: StaffPage, session_id: uuid.UUID) -> Response:
    async with page.runtime.db.reading() as tx:
        session = await sessions_service.get(tx, page.user.user.account_id, session_id)
        event = await events_service.get(tx, page.user.user.account_id, session.event_id)
        instructors = await events_repo.instructor_ids(tx, session.id)
    values = _session_values(session, event, page)
    values["instructor_ids"] = [str(i) for i in instructors]
    return await _render_session_form(page, event=event, session=session, values=values, errors=FormErrors())


@router.post("/sessions/{session_id}/edit")
async def edit_session(page: StaffChange, session_id: uuid.UUID, request: Request) -> Response:
    form = Form(await request.form(), page.texts)
    async with page.runtime.db.reading() as tx:
        session = await sessions_service.get(tx, page.user.user.account_id, session_id)
        event = await events_service.get(tx, page.user.user.account_id, session.event_id)
    data = _session_input(form, form.text("session_title") or event.title)
    errors = form.errors
    if not errors:
        try:
            async with page.runtime.db.transaction() as tx:
                await sessions_service.update(
                    page.runtime.ctx, tx, page.user.user.account_id, session_id, data, page.user.actor
                )
        except DomainError as exc:
            errors = _title_errors(_session_errors(errors_from(exc, page.texts, page.zone)))
    if errors:
        return await _render_session_form(
            page, event=event, session=session, values=_typed(form), errors=errors, status=422
        )
    await page.runtime.worker.run_now(session_id)
    return page.redirect(f"/sessions/{session_id}", page.gettext("Saved."))
