"""Carrying out what the planner decided for a session.

Each action runs in three steps so no provider call happens inside a database transaction:
``prepare`` reads what the call needs, ``perform`` talks to the provider, ``apply`` writes the
outcome. Every action is idempotent: provider calls carry our own ids, and attendance imports
are recognised by fingerprint, so a retry after a crash never duplicates anything.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.attendance import AttendanceSource, Interval, ParticipantReport
from vilt.core.planner import PROVIDER_WRITES, Action, AttendanceState, SessionSnapshot, Timing, retry_delay
from vilt.core.sessions import EventKind, SessionState, SyncState
from vilt.providers.base import (
    AttendanceFetch,
    CancelsRegistrations,
    Capability,
    LiveStatus,
    MeetingRef,
    MeetingSpec,
    Person,
    Provider,
    Registrant,
    Registration,
)
from vilt.providers.errors import AuthExpired, NotFound, ProviderError, Retriable
from vilt.services import attendance, integrations, notify, registrations
from vilt.services.context import ServiceContext
from vilt.services.provider_hub import provider_info
from vilt.services.sessions import mark_ended, want_push
from vilt.storage.models import Event, Integration, LiveObservation, Session
from vilt.storage.repositories import attendance as attendance_repo
from vilt.storage.repositories import events as events_repo
from vilt.storage.repositories import integrations as integrations_repo

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Prepared:
    action: Action
    session_id: uuid.UUID
    integration: Integration | None
    ref: MeetingRef | None = None
    spec: MeetingSpec | None = None
    revision: int = 0
    people: tuple[Person, ...] = ()
    """Who to register (REGISTER)."""
    registrants: tuple[Registrant, ...] = ()
    """Whose registration to cancel (UNREGISTER)."""


@dataclass(frozen=True)
class Result:
    value: Any = None
    error: ProviderError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def timing(integration: Integration | None) -> Timing:
    if integration is None:
        return Timing()
    return Timing(
        instructor_lead=timedelta(minutes=integration.instructor_lead_minutes),
        auto_end_after=timedelta(minutes=integration.auto_end_minutes),
    )


def snapshot(session: Session, integration: Integration | None) -> SessionSnapshot:
    capabilities = provider_info(integration.kind).capabilities if integration else frozenset()
    return SessionSnapshot(
        state=SessionState(session.state),
        starts_at=session.starts_at,
        ends_at=session.starts_at + timedelta(minutes=session.duration_minutes),
        has_integration=integration is not None,
        provider_ref=session.provider_ref,
        push_pending=session.desired_revision > session.synced_revision,
        end_pending=session.end_pending,
        cancel_pending=session.cancel_pending,
        stale_pending=bool(session.stale_meetings),
        sync_retry_at=session.sync_retry_at,
        ended_at=session.ended_at,
        attendance_state=AttendanceState(session.attendance_state),
        attendance_next_at=session.attendance_next_at,
        checks_live=Capability.LIVE_STATUS in capabilities,
        last_live_check_at=session.last_live_check_at,
        registrations_pending=session.registrations_pending and Capability.REGISTRANTS in capabilities,
        unregistrations_pending=session.unregistrations_pending and Capability.REGISTRANTS in capabilities,
        provider_ended_at=session.provider_ended_at,
        timing=timing(integration),
    )


def callback_urls(ctx: ServiceContext, session: Session, integration: Integration) -> dict[str, str]:
    base = f"/api/v1/callbacks/{integration.kind}/{integration.id}"
    return {
        "analytics": ctx.url(f"{base}/analytics"),
        "end": ctx.url(f"{base}/end?session={session.id}&token={session.callback_token}"),
        "webhook": ctx.url(f"{base}/webhook"),
    }


async def meeting_spec(
    ctx: ServiceContext, tx: AsyncSession, session: Session, integration: Integration
) -> MeetingSpec:
    event = await tx.get(Event, session.event_id)
    assert event is not None
    hosts = await events_repo.instructors(tx, session.id)
    host = (
        Person(identity=f"i{hosts[0].id.hex[:16]}", name=hosts[0].display_name, email=hosts[0].email)
        if hosts
        else None
    )
    return MeetingSpec(
        session_key=session.id.hex,
        title=session.title,
        kind=EventKind(event.kind),
        starts_at=session.starts_at,
        duration=timedelta(minutes=session.duration_minutes),
        time_zone=session.time_zone,
        description=event.description,
        host=host,
        capacity=session.capacity if session.capacity is not None else event.capacity,
        keep_alive=timedelta(minutes=integration.auto_end_minutes),
        callback_urls=callback_urls(ctx, session, integration),
    )


def meeting_ref(session: Session) -> MeetingRef | None:
    return MeetingRef(session.provider_ref, dict(session.provider_data)) if session.provider_ref else None


async def prepare(ctx: ServiceContext, tx: AsyncSession, session: Session, action: Action) -> Prepared:
    integration = None
    if action == Action.DELETE_STALE:
        stale = session.stale_meetings[0]
        integration = await integrations_repo.by_id(tx, uuid.UUID(stale["integration_id"]))
        return Prepared(action, session.id, integration, MeetingRef(stale["ref"], stale.get("data") or {}))
    if session.integration_id is not None:
        integration = await integrations_repo.by_id(tx, session.integration_id)
    spec = None
    if integration is not None and action in (Action.PUSH, Action.FETCH_ATTENDANCE, Action.CHECK_LIVE):
        spec = await meeting_spec(ctx, tx, session, integration)
    people = await registrations.pending_people(tx, session) if action == Action.REGISTER else ()
    registrants = await registrations.pending_cancels(tx, session) if action == Action.UNREGISTER else ()
    return Prepared(
        action,
        session.id,
        integration,
        meeting_ref(session),
        spec,
        session.desired_revision,
        people,
        registrants,
    )


async def perform(ctx: ServiceContext, prepared: Prepared) -> Result:
    integration = prepared.integration
    if integration is None or prepared.action in (Action.AUTO_END, Action.PROVIDER_ENDED):
        return Result()
    if prepared.action == Action.REGISTER and not prepared.people:
        return Result([])
    if prepared.action == Action.UNREGISTER and not prepared.registrants:
        return Result([])
    if prepared.action == Action.CLOSE_ATTENDANCE:
        return Result()
    ref, spec = prepared.ref, prepared.spec

    async def operation(adapter: Provider) -> Any:
        if prepared.action == Action.PUSH:
            assert spec is not None
            if ref is None:
                return await adapter.create_meeting(spec)
            return await adapter.update_meeting(ref, spec)
        assert ref is not None
        if prepared.action in (Action.DELETE_STALE, Action.CANCEL_MEETING):
            return await adapter.delete_meeting(ref)
        if prepared.action == Action.END_MEETING:
            try:
                return await adapter.end_meeting(ref)
            except NotFound:
                return None  # already over on the provider
        if prepared.action == Action.CHECK_LIVE:
            return await adapter.live_status(ref)
        if prepared.action == Action.FETCH_ATTENDANCE:
            assert spec is not None
            return await adapter.fetch_attendance(ref, spec)
        if prepared.action == Action.REGISTER:
            return await adapter.register(ref, prepared.people)
        if prepared.action == Action.UNREGISTER:
            if not isinstance(adapter, CancelsRegistrations):
                # declared registrants without a way to cancel them: nothing Vilt can do
                log.info("session.registrant_cancel_unsupported", kind=adapter.info.kind)
                return [r.registrant_id for r in prepared.registrants]
            return await adapter.cancel_registrations(ref, prepared.registrants)
        raise AssertionError(prepared.action)

    if prepared.action != Action.PUSH and ref is None:
        return Result()
    try:
        return Result(await ctx.providers.call(integration, operation))
    except ProviderError as exc:
        return Result(error=exc)


async def apply(
    ctx: ServiceContext, tx: AsyncSession, session: Session, prepared: Prepared, result: Result
) -> None:
    before = session.state
    await _apply(ctx, tx, session, prepared, result)
    # whatever action moved the session (auto-end, the provider ending or starting it), the LMS
    # is told in this same transaction
    await notify.state_changed(ctx, tx, session, before)


async def _apply(
    ctx: ServiceContext, tx: AsyncSession, session: Session, prepared: Prepared, result: Result
) -> None:
    now = ctx.clock.now()
    action = prepared.action
    session.updated_at = now
    if action in PROVIDER_WRITES:
        if not result.ok:
            await _write_failed(ctx, tx, session, prepared, result.error, now)
            return
        session.sync_attempts = 0
        session.sync_retry_at = None
        session.sync_error = None
    if action == Action.PUSH:
        ref: MeetingRef = result.value
        if ref.ref != session.provider_ref and registrations.has_registrants(prepared.integration):
            await registrations.new_meeting(ctx, tx, session)
        session.provider_ref = ref.ref
        session.provider_data = dict(ref.data)
        session.synced_revision = prepared.revision
        if session.desired_revision == session.synced_revision:
            session.sync_state = SyncState.SYNCED.value
        log.info("session.pushed", session=str(session.id), ref=ref.ref)
    elif action == Action.DELETE_STALE:
        session.stale_meetings = session.stale_meetings[1:]
    elif action == Action.CANCEL_MEETING:
        session.cancel_pending = False
    elif action == Action.END_MEETING:
        session.end_pending = False
    elif action == Action.AUTO_END:
        mark_ended(session, now, "auto-end", provider_ended=False, integration=prepared.integration)
        log.info("session.auto_ended", session=str(session.id))
    elif action == Action.PROVIDER_ENDED:
        reported = session.provider_ended_at or now
        mark_ended(
            session, min(reported, now), "provider", provider_ended=True, integration=prepared.integration
        )
        log.info("session.ended_on_provider", session=str(session.id), at=reported.isoformat())
    elif action == Action.REGISTER:
        done: list[Registration] = result.value
        missing = await registrations.store(ctx, tx, session, prepared.people, done)
        if missing:
            # nobody lost: the rest are tried again after the back-off, and the reason is shown
            reason = f"{missing} learner(s) could not be registered with the provider yet."
            await _write_failed(ctx, tx, session, prepared, Retriable(reason), now)
    elif action == Action.UNREGISTER:
        canceled: list[str] = result.value or []
        left = await registrations.store_cancels(tx, session, prepared.registrants, canceled)
        if left:
            # nothing lost: the rest are canceled after the back-off, and the reason is shown
            reason = (
                f"{left} registration(s) of canceled enrollments could not be canceled with the provider yet."
            )
            await _write_failed(ctx, tx, session, prepared, Retriable(reason), now)
    elif action == Action.CHECK_LIVE:
        await _apply_live(ctx, tx, session, prepared, result, now)
    elif action == Action.FETCH_ATTENDANCE:
        await _apply_fetch(ctx, tx, session, prepared, result, now)
    elif action == Action.CLOSE_ATTENDANCE:
        await _close_attendance(ctx, tx, session, now)


async def _write_failed(
    ctx: ServiceContext,
    tx: AsyncSession,
    session: Session,
    prepared: Prepared,
    error: ProviderError | None,
    now: datetime,
) -> None:
    assert error is not None
    session.sync_attempts += 1
    defer = getattr(error, "defer", None)
    session.sync_retry_at = now + retry_delay(session.sync_attempts, defer)
    session.sync_error = error.reason
    if prepared.action == Action.PUSH:
        session.sync_state = SyncState.FAILED.value
    if isinstance(error, AuthExpired) and prepared.integration is not None:
        # the row read before the call belongs to a finished transaction: change a fresh one
        integration = await integrations_repo.by_id(tx, prepared.integration.id)
        if integration is not None:
            integrations.mark_needs_reauth(ctx, integration, error.reason)
    log.warning(
        "session.provider_write_failed",
        session=str(session.id),
        action=prepared.action.value,
        attempts=session.sync_attempts,
        retry_at=session.sync_retry_at.isoformat(),
        reason=error.reason,
    )


async def _apply_live(
    ctx: ServiceContext, tx: AsyncSession, session: Session, prepared: Prepared, result: Result, now: datetime
) -> None:
    session.last_live_check_at = now
    if not result.ok:
        log.info(
            "session.live_check_failed",
            session=str(session.id),
            reason=result.error.reason if result.error else "",
        )
        return
    status: LiveStatus = result.value
    if status.exists and status.running:
        await _observe(tx, session, status, now)
        data = {**session.provider_data, "seen_running": True}
        data.update({k: v for k, v in status.data.items() if v})
        session.provider_data = data
        if session.state == SessionState.SCHEDULED.value:
            session.state = SessionState.LIVE.value
            session.started_at = status.started_at or now
            log.info("session.started_on_provider", session=str(session.id))
        return
    if status.exists:
        return  # created and empty, perhaps only for a moment: nothing to decide yet
    if session.provider_data.get("seen_running") or session.provider_data.get("end_reported"):
        # it ran and now it is gone: the provider ended it
        mark_ended(session, now, "provider", provider_ended=True, integration=prepared.integration)
        log.info("session.ended_on_provider", session=str(session.id))
    else:
        # an unused meeting expired or the server forgot it: create it again before anyone joins
        want_push(session, now)


async def _observe(tx: AsyncSession, session: Session, status: LiveStatus, now: datetime) -> None:
    """Extend presence intervals of everyone seen now; the fallback when no report arrives."""
    seen = await attendance_repo.observations(tx, session.id)
    gap = timedelta(minutes=3)
    for person in status.present:
        row = seen.get(person.participant_key)
        if row is None:
            row = LiveObservation(
                session_id=session.id,
                participant_key=person.participant_key,
                display_name=person.display_name,
                bound_identity=person.bound_identity,
                role=person.role,
                intervals=[],
            )
            tx.add(row)
        intervals = [list(pair) for pair in row.intervals]
        stamp = now.isoformat()
        if intervals and datetime.fromisoformat(intervals[-1][1]) >= now - gap:
            intervals[-1][1] = stamp
        else:
            intervals.append([stamp, stamp])
        row.intervals = intervals


async def _apply_fetch(
    ctx: ServiceContext, tx: AsyncSession, session: Session, prepared: Prepared, result: Result, now: datetime
) -> None:
    session.attendance_attempts += 1
    session.attendance_next_at = now + timing(prepared.integration).attendance_poll_every
    if not result.ok:
        session.attendance_note = f"Fetching attendance failed: {result.error.reason if result.error else ''}"
        return
    fetched: AttendanceFetch | None = result.value
    if fetched is None:
        return
    if not fetched.ready:
        session.attendance_note = fetched.reason or "The provider has no attendance report yet."
        return
    await attendance.import_fetched(ctx, tx, session, fetched)


async def _close_attendance(ctx: ServiceContext, tx: AsyncSession, session: Session, now: datetime) -> None:
    observed = await attendance_repo.observations(tx, session.id)
    if observed:
        reports = [
            ParticipantReport(
                participant_key=o.participant_key,
                display_name=o.display_name,
                bound_identity=o.bound_identity,
                role=o.role,
                intervals=tuple(
                    Interval(
                        datetime.fromisoformat(a), max(datetime.fromisoformat(b), datetime.fromisoformat(a))
                    )
                    for a, b in o.intervals
                ),
            )
            for o in observed.values()
        ]
        await attendance.import_reports(
            ctx,
            tx,
            session,
            reports,
            AttendanceSource.POLL,
            raw={"observed_while_live": len(reports)},
            note="The provider sent no report within an hour; attendance is what was seen while live.",
        )
        return
    session.attendance_state = AttendanceState.CLOSED.value
    session.attendance_next_at = None
    session.attendance_note = "Closed with no attendance: nothing was reported within an hour of the end."
    log.info("session.attendance_closed_empty", session=str(session.id))
