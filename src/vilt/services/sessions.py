"""Scheduling sessions: validation, the intent to push to the provider, and the lifecycle."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.completion import CompletionRule, RuleKind
from vilt.core.errors import Conflict, ErrorList, NotFound, TooEarly, ValidationFailed, when
from vilt.core.planner import AttendanceState
from vilt.core.sessions import (
    EventKind,
    SessionDraft,
    SessionState,
    SyncState,
    transition,
    validate_session,
)
from vilt.providers.base import Capability
from vilt.services import audit, enrollments, notify
from vilt.services.context import Actor, ServiceContext
from vilt.services.provider_hub import provider_info
from vilt.storage.models import Event, Integration, Session
from vilt.storage.repositories import enrollments as enrollments_repo
from vilt.storage.repositories import events as repo
from vilt.storage.repositories import integrations as integrations_repo
from vilt.storage.repositories import users as users_repo

PROVIDER_FIELDS = ("title", "starts_at", "duration_minutes", "time_zone", "capacity")
CALENDAR_FIELDS = ("title", "starts_at", "duration_minutes", "time_zone")
"""A change to one of these is a new calendar revision (iCalendar SEQUENCE)."""


@dataclass(frozen=True)
class SessionInput:
    title: str | None = None
    starts_at: datetime | None = None
    time_zone: str | None = None
    duration_minutes: int | None = None
    integration_id: uuid.UUID | None = None
    capacity: int | None = None
    instructor_ids: list[uuid.UUID] | None = None
    completion_rule: dict[str, Any] | None = None
    provided: frozenset[str] = field(default_factory=frozenset)


def due_now(session: Session, now: datetime) -> None:
    if session.due_at is None or session.due_at > now:
        session.due_at = now


def want_push(session: Session, now: datetime) -> None:
    """Record the intent to push; committed with the change, so it survives any failure."""
    session.desired_revision += 1
    session.sync_state = SyncState.PENDING.value
    session.sync_attempts = 0
    session.sync_retry_at = None
    due_now(session, now)


async def _integration_for(
    tx: AsyncSession, account_id: uuid.UUID, integration_id: uuid.UUID, event: Event, errors: ErrorList
) -> Integration | None:
    integration = await integrations_repo.get(tx, account_id, integration_id)
    if integration is None:
        errors.add("integration_id", "No such integration in this account.")
        return None
    if not integration.active:
        errors.add("integration_id", f"The integration '{integration.name}' is inactive.")
    teams = integration.available_team_ids or []
    if teams and (event.owner_team_id is None or str(event.owner_team_id) not in teams):
        errors.add(
            "integration_id", f"The integration '{integration.name}' is not available to this event's team."
        )
    info = provider_info(integration.kind)
    if not info.supports_kind(EventKind(event.kind)):
        errors.add("integration_id", f"{info.title} cannot host a {event.kind}.")
    return integration


def _check_rule(
    rule: CompletionRule, integration: Integration | None, errors: ErrorList, field_name: str
) -> None:
    if rule.kind == RuleKind.ALL_POLLS_ANSWERED and integration is not None:
        info = provider_info(integration.kind)
        if Capability.POLLS not in info.capabilities:
            errors.add(
                field_name,
                f"{info.title} does not report poll answers, so the rule "
                "'all poll questions answered' cannot be used with it.",
            )


async def _check_instructors(
    tx: AsyncSession, account_id: uuid.UUID, ids: list[uuid.UUID], errors: ErrorList
) -> None:
    found = {u.id for u in await users_repo.many(tx, account_id, ids)}
    for index, user_id in enumerate(ids):
        if user_id not in found:
            errors.add(f"instructor_ids.{index}", "No such user in this account.")


async def create(
    ctx: ServiceContext, tx: AsyncSession, event: Event, data: SessionInput, actor: Actor
) -> Session:
    now = ctx.clock.now()
    errors = ErrorList()
    if data.starts_at is None:
        errors.add("starts_at", "A start time is required.")
    if data.duration_minutes is None:
        errors.add("duration_minutes", "A duration is required.")
    integration = None
    if data.integration_id is not None:
        integration = await _integration_for(tx, event.account_id, data.integration_id, event, errors)
    rule = CompletionRule.parse(data.completion_rule, "completion_rule") if data.completion_rule else None
    _check_rule(
        rule or CompletionRule.parse(event.completion_rule or None),
        integration,
        errors,
        "completion_rule" if rule else "integration_id",
    )
    await _check_instructors(tx, event.account_id, data.instructor_ids or [], errors)
    errors.raise_if_any()
    assert data.starts_at is not None
    assert data.duration_minutes is not None
    title = (data.title or event.title).strip()
    validate_session(
        SessionDraft(
            title,
            data.starts_at,
            data.time_zone or "UTC",
            timedelta(minutes=data.duration_minutes),
            data.capacity,
            integration is not None,
        ),
        now,
    )
    session = Session(
        account_id=event.account_id,
        event_id=event.id,
        title=title,
        starts_at=data.starts_at,
        time_zone=data.time_zone or "UTC",
        duration_minutes=data.duration_minutes,
        integration_id=integration.id if integration else None,
        capacity=data.capacity,
        completion_rule=rule.to_json() if rule else None,
        state=SessionState.SCHEDULED.value,
        sync_state=SyncState.SYNCED.value,
        provider_data={},
        stale_meetings=[],
        attendance_state=AttendanceState.NOT_DUE.value,
        callback_token=secrets.token_urlsafe(24),
        desired_revision=0,
        synced_revision=0,
        sync_attempts=0,
        attendance_attempts=0,
        end_pending=False,
        cancel_pending=False,
        created_at=now,
        updated_at=now,
    )
    tx.add(session)
    await tx.flush()
    await repo.set_instructors(tx, session.id, data.instructor_ids or [])
    await enrollments.join_series(ctx, tx, session, actor)
    if integration is not None:
        want_push(session, now)
    else:
        due_now(session, now)
    audit.record(
        ctx,
        tx,
        event.account_id,
        actor,
        "session.created",
        "session",
        session.id,
        after={"title": title, "starts_at": data.starts_at.isoformat()},
    )
    return session


async def get(
    tx: AsyncSession, account_id: uuid.UUID, session_id: uuid.UUID, *, for_update: bool = False
) -> Session:
    session = await repo.get_session(tx, account_id, session_id, for_update=for_update)
    if session is None:
        raise NotFound("No such session in this account.")
    return session


async def update(
    ctx: ServiceContext,
    tx: AsyncSession,
    account_id: uuid.UUID,
    session_id: uuid.UUID,
    data: SessionInput,
    actor: Actor,
) -> Session:
    session = await get(tx, account_id, session_id, for_update=True)
    if session.state in (SessionState.ENDED.value, SessionState.CANCELED.value):
        raise Conflict(f"A {session.state} session cannot be edited.", state=session.state)
    event = await tx.get(Event, session.event_id)
    assert event is not None
    now = ctx.clock.now()
    errors = ErrorList()
    new_integration_id = session.integration_id
    integration = None
    if "integration_id" in data.provided:
        new_integration_id = data.integration_id
    if new_integration_id is not None and new_integration_id != session.integration_id:
        integration = await _integration_for(tx, account_id, new_integration_id, event, errors)
    elif new_integration_id is not None:
        integration = await integrations_repo.get(tx, account_id, new_integration_id)
    rule = CompletionRule.parse(data.completion_rule) if data.completion_rule else None
    if rule:
        _check_rule(rule, integration, errors, "completion_rule")
    elif integration is not None and new_integration_id != session.integration_id:
        kept = session.completion_rule if "completion_rule" not in data.provided else None
        _check_rule(
            CompletionRule.parse(kept or event.completion_rule or None), integration, errors, "integration_id"
        )
    if data.instructor_ids is not None:
        await _check_instructors(tx, account_id, data.instructor_ids, errors)
    errors.raise_if_any()
    starts_at = data.starts_at or session.starts_at
    starts_changed = data.starts_at is not None and data.starts_at != session.starts_at
    if session.state == SessionState.LIVE.value and (
        starts_changed or new_integration_id != session.integration_id
    ):
        raise Conflict("A running session keeps its start and its integration.", state=session.state)
    capacity = data.capacity if "capacity" in data.provided else session.capacity
    validate_session(
        SessionDraft(
            (data.title if data.title is not None else session.title),
            starts_at,
            data.time_zone or session.time_zone,
            timedelta(minutes=data.duration_minutes or session.duration_minutes),
            capacity,
            new_integration_id is not None,
        ),
        now,
        starts_changed=starts_changed or new_integration_id != session.integration_id,
    )
    before = {name: _plain(getattr(session, name)) for name in (*PROVIDER_FIELDS, "integration_id")}
    if data.title is not None:
        session.title = data.title.strip()
    session.starts_at = starts_at
    if data.time_zone is not None:
        session.time_zone = data.time_zone
    if data.duration_minutes is not None:
        session.duration_minutes = data.duration_minutes
    session.capacity = capacity
    if rule is not None:
        session.completion_rule = rule.to_json()
    elif "completion_rule" in data.provided:
        session.completion_rule = None
    hosts_changed = False
    if data.instructor_ids is not None:
        # the first instructor hosts the meeting (Zoom) or holds it on their calendar (Teams)
        hosts_changed = await repo.instructor_ids(tx, session.id) != list(data.instructor_ids)
        await repo.set_instructors(tx, session.id, data.instructor_ids)
    after = {name: _plain(getattr(session, name)) for name in PROVIDER_FIELDS}
    moved = new_integration_id != session.integration_id
    if moved:
        if session.provider_ref is not None and session.integration_id is not None:
            # the old meeting is deleted by the worker; the new one created
            session.stale_meetings = [
                *session.stale_meetings,
                {
                    "integration_id": str(session.integration_id),
                    "ref": session.provider_ref,
                    "data": dict(session.provider_data),
                },
            ]
        session.integration_id = new_integration_id
        session.provider_ref = None
        session.provider_data = {}
        session.provider_ended_at = None
        # personal join URLs belong to the old meeting; the new provider registers learners anew
        await enrollments_repo.forget_registrations(tx, session.id)
        session.unregistrations_pending = False  # the old meeting is deleted with its registrants
        session.registrations_pending = True
        after["integration_id"] = _plain(new_integration_id)
    if new_integration_id is not None and (moved or hosts_changed or after != {k: before[k] for k in after}):
        want_push(session, now)
    elif session.stale_meetings:
        due_now(session, now)
    if new_integration_id is None:
        session.sync_state = SyncState.SYNCED.value
        session.sync_error = None
        session.synced_revision = session.desired_revision
    session.updated_at = now
    changed = [name for name in after if after[name] != before.get(name)]
    if any(name in CALENDAR_FIELDS for name in changed):
        session.sequence += 1
    if "capacity" in data.provided:
        await enrollments.promote(ctx, tx, session, actor)
    audit.record(
        ctx, tx, account_id, actor, "session.updated", "session", session.id, before=before, after=after
    )
    if changed:
        await notify.session_updated(ctx, tx, session, changed)
    return session


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


async def cancel(
    ctx: ServiceContext,
    tx: AsyncSession,
    account_id: uuid.UUID,
    session_id: uuid.UUID,
    actor: Actor,
    reason: str | None = None,
) -> Session:
    session = await get(tx, account_id, session_id, for_update=True)
    if session.state == SessionState.CANCELED.value:
        return session
    session.state = transition(SessionState(session.state), SessionState.CANCELED).value
    now = ctx.clock.now()
    session.cancel_pending = session.provider_ref is not None
    session.updated_at = now
    session.sequence += 1
    due_now(session, now)
    audit.record(ctx, tx, account_id, actor, "session.canceled", "session", session.id, reason=reason)
    await notify.session_updated(ctx, tx, session, ["state"])
    return session


async def start(
    ctx: ServiceContext, tx: AsyncSession, account_id: uuid.UUID, session_id: uuid.UUID, actor: Actor
) -> Session:
    session = await get(tx, account_id, session_id, for_update=True)
    now = ctx.clock.now()
    lead = timedelta(minutes=30)
    if session.integration_id is not None:
        integration = await integrations_repo.get(tx, account_id, session.integration_id)
        if integration is not None:
            lead = timedelta(minutes=integration.instructor_lead_minutes)
    if session.state == SessionState.SCHEDULED.value and now < session.starts_at - lead:
        opens = session.starts_at - lead
        raise TooEarly(f"The session can be started from {when(opens)}.", at_field="opens_at", at=opens)
    state = transition(SessionState(session.state), SessionState.LIVE)
    if session.state != state.value:
        session.state = state.value
        session.started_at = now
        session.updated_at = now
        due_now(session, now)
        audit.record(ctx, tx, account_id, actor, "session.started", "session", session.id)
        await notify.session_updated(ctx, tx, session, ["state"])
    return session


def mark_ended(
    session: Session, when: datetime, by: str, *, provider_ended: bool, integration: Integration | None
) -> None:
    """The session ended (by an instructor, the provider, or auto-end): wait for attendance."""
    session.state = SessionState.ENDED.value
    session.ended_at = when
    session.ended_by = by
    has_end = integration is not None and Capability.END in provider_info(integration.kind).capabilities
    session.end_pending = has_end and not provider_ended and session.provider_ref is not None
    if session.attendance_state == AttendanceState.NOT_DUE.value:
        session.attendance_state = (
            AttendanceState.WAITING.value
            if session.integration_id is not None
            else AttendanceState.CLOSED.value
        )
        session.attendance_next_at = when
    session.updated_at = when
    due_now(session, when)


async def end(
    ctx: ServiceContext, tx: AsyncSession, account_id: uuid.UUID, session_id: uuid.UUID, actor: Actor
) -> Session:
    session = await get(tx, account_id, session_id, for_update=True)
    if session.state == SessionState.ENDED.value:
        return session
    transition(SessionState(session.state), SessionState.ENDED)
    integration = None
    if session.integration_id is not None:
        integration = await integrations_repo.get(tx, account_id, session.integration_id)
    mark_ended(session, ctx.clock.now(), actor.label, provider_ended=False, integration=integration)
    audit.record(ctx, tx, account_id, actor, "session.ended", "session", session.id)
    await notify.session_ended(ctx, tx, session)
    return session


async def retry_sync(
    ctx: ServiceContext, tx: AsyncSession, account_id: uuid.UUID, session_id: uuid.UUID
) -> Session:
    """ "Retry now": forget the back-off so the next pass pushes at once."""
    session = await get(tx, account_id, session_id, for_update=True)
    if session.sync_state == SyncState.SYNCED.value and not session.stale_meetings:
        raise ValidationFailed.one("sync_state", "Nothing is waiting to be pushed to the provider.")
    session.sync_retry_at = None
    due_now(session, ctx.clock.now())
    return session
