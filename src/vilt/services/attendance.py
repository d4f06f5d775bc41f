"""Importing attendance: match every record to a learner, keep the raw payload, recompute the
roster. A repeated delivery (same fingerprint) changes nothing."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.attendance import AttendanceSource, ParticipantReport
from vilt.core.identity import name_key, normalize_email
from vilt.core.matching import Directory, MatchMethod, identify
from vilt.core.planner import AttendanceState
from vilt.core.sessions import SessionState
from vilt.metrics import ATTENDANCE_RECORDS
from vilt.providers.base import AttendanceFetch
from vilt.services import enrollments, notify, presence, roster
from vilt.services.context import PROVIDER, ServiceContext
from vilt.services.sessions import due_now, mark_ended
from vilt.storage.bulk import RawJSON
from vilt.storage.ids import new_ids
from vilt.storage.models import AttendanceImport, Integration, Session
from vilt.storage.repositories import attendance as repo
from vilt.storage.repositories import enrollments as enrollments_repo
from vilt.storage.repositories import users as users_repo

log = structlog.get_logger(__name__)

NO_SUGGESTIONS = RawJSON("[]")


@dataclass(frozen=True)
class ImportResult:
    attendance_import: AttendanceImport
    duplicate: bool
    matched: int
    unmatched: int
    roster_version: int | None


def spans_of(report: ParticipantReport) -> list[list[str]]:
    """The intervals as stored: ``[[joined, left], ...]`` in ISO 8601."""
    return [[i.start.isoformat(), i.end.isoformat()] for i in report.intervals]


def _spans_json(spans: list[list[str]]) -> RawJSON:
    # ISO 8601 text needs no escaping; by hand this is several times faster than json.dumps
    return RawJSON("[" + ",".join(f'["{a}","{b}"]' for a, b in spans) + "]")


def fingerprint(reports: Sequence[ParticipantReport], spans: Sequence[list[list[str]]] | None = None) -> str:
    """What makes two deliveries the same: every participant's key, email, identity, intervals
    and poll counts, in any order."""
    if spans is None:
        spans = [spans_of(r) for r in reports]
    lines = sorted(
        "\x1f".join(
            (
                r.participant_key,
                r.email or "",
                r.bound_identity or "",
                _spans_json(span),
                str(r.engagement.polls_answered),
                str(r.engagement.polls_asked),
            )
        )
        for r, span in zip(reports, spans, strict=True)
    )
    return hashlib.sha256("\x1e".join(lines).encode()).hexdigest()


async def directory(
    tx: AsyncSession, session: Session, reports: Sequence[ParticipantReport]
) -> Directory[uuid.UUID, uuid.UUID]:
    """Only the people these reports could be: no full scan of the account's users."""
    emails = {normalize_email(r.email) for r in reports if r.email}
    identities, registered = await enrollments_repo.matching_maps(tx, session.id)
    return Directory(
        identities=identities,
        emails=await users_repo.users_by_emails(tx, session.account_id, emails),
        enrollments=registered,
        participants=await repo.bindings(tx, session.id),
    )


_paused = 0
BIG_IMPORT = 2000


@contextlib.contextmanager
def gc_paused(size: int) -> Iterator[None]:
    """Pause the cyclic garbage collector while a big import builds its tens of thousands of
    short-lived rows (no cycles among them: reference counting frees them). Full collections
    over the whole heap otherwise cost a fifth of the import's CPU. Nested and concurrent
    imports share one pause; the collector comes back when the last one ends."""
    global _paused
    if size < BIG_IMPORT:
        yield
        return
    if _paused == 0 and not gc.isenabled():
        yield  # somebody else turned it off: leave it alone
        return
    _paused += 1
    gc.disable()
    try:
        yield
    finally:
        _paused -= 1
        if _paused == 0:
            gc.enable()


async def import_reports(
    ctx: ServiceContext,
    tx: AsyncSession,
    session: Session,
    reports: Sequence[ParticipantReport],
    source: AttendanceSource,
    *,
    raw: dict[str, Any],
    note: str | None = None,
    recompute_roster: bool = True,
) -> ImportResult:
    with gc_paused(len(reports)):
        return await _import(
            ctx, tx, session, reports, source, raw=raw, note=note, recompute=recompute_roster
        )


async def _import(
    ctx: ServiceContext,
    tx: AsyncSession,
    session: Session,
    reports: Sequence[ParticipantReport],
    source: AttendanceSource,
    *,
    raw: dict[str, Any],
    note: str | None,
    recompute: bool,
) -> ImportResult:
    now = ctx.clock.now()
    spans = [spans_of(r) for r in reports]
    mark = fingerprint(reports, spans)
    existing = await repo.import_by_fingerprint(tx, session.id, mark)
    if existing is not None:
        log.info("attendance.duplicate_ignored", session=str(session.id), source=source.value)
        return ImportResult(existing, True, 0, 0, None)
    found = await directory(tx, session, reports)
    identified = []
    for report in reports:
        match = identify(report, found)
        identified.append((report, *match) if match else (report, None, MatchMethod.NONE))
    enrollment_of = dict(found.enrollments)
    integration = await tx.get(Integration, session.integration_id) if session.integration_id else None
    if integration is not None and integration.walk_in_policy == "add":
        walk_ins = {user for _, user, _ in identified if user is not None and user not in enrollment_of}
        enrollment_of.update(await enrollments.add_walk_ins(ctx, tx, session, walk_ins, PROVIDER))
    unmatched_keys = {name_key(r.display_name) for r, user, _ in identified if user is None}
    suggestions = await users_repo.users_by_name_keys(tx, session.account_id, unmatched_keys)
    record = AttendanceImport(
        account_id=session.account_id,
        session_id=session.id,
        source=source.value,
        fingerprint=mark,
        raw=raw,
        record_count=len(reports),
        received_at=now,
    )
    tx.add(record)
    await tx.flush()
    rows = []
    present: list[presence.PresenceRow] = []
    for (report, user, method), span, row_id in zip(identified, spans, new_ids(len(identified)), strict=True):
        enrollment = enrollment_of.get(user) if user is not None else None
        if enrollment is not None:
            engagement = report.engagement
            present.append((enrollment, report.intervals, engagement.polls_answered, engagement.polls_asked))
        rows.append(
            {
                "id": row_id,
                "import_id": record.id,
                "session_id": session.id,
                "participant_key": report.participant_key[:255],
                "email": report.email,
                "display_name": report.display_name[:255],
                "bound_identity": report.bound_identity,
                "role": report.role,
                "intervals": _spans_json(span),
                "total_seconds": report.total_seconds,
                "polls_answered": report.engagement.polls_answered,
                "polls_asked": report.engagement.polls_asked,
                "chats": report.engagement.chats,
                "talks": report.engagement.talks,
                "user_id": user,
                "enrollment_id": enrollment,
                "match_method": method.value,
                "suggestions": NO_SUGGESTIONS
                if user is not None
                else [str(s) for s in suggestions.get(name_key(report.display_name), [])[:5]],
            }
        )
    await repo.insert_records(tx, rows)
    ATTENDANCE_RECORDS.labels(source.value).inc(len(rows))
    session.attendance_state = AttendanceState.RECEIVED.value
    session.attendance_next_at = None
    session.attendance_note = note or f"{len(reports)} participant record(s) received ({source.value})."
    if session.state in (SessionState.SCHEDULED.value, SessionState.LIVE.value):
        # a final report means the meeting is over, whatever we thought
        mark_ended(session, now, "provider", provider_ended=True, integration=integration)
        session.attendance_state = AttendanceState.RECEIVED.value
        await notify.session_ended(ctx, tx, session)
    due_now(session, now)
    matched = len(present)
    # the roster is computed from what is in hand, not read back (when this import is the one
    # the roster follows: see attendance_repo.latest_import)
    fresh = presence.FreshImport(record.id, present)
    version = (
        await roster.recompute(
            ctx, tx, session, actor=PROVIDER, overwrite=False, fresh=fresh, registered=enrollment_of
        )
        if recompute
        else None
    )
    unmatched = sum(1 for _, user, m in identified if user is None and m == MatchMethod.NONE)
    log.info(
        "attendance.imported",
        session=str(session.id),
        source=source.value,
        records=len(reports),
        matched=matched,
        unmatched=unmatched,
        roster_version=version,
    )
    return ImportResult(record, False, matched, unmatched, version)


async def import_fetched(
    ctx: ServiceContext,
    tx: AsyncSession,
    session: Session,
    fetched: AttendanceFetch,
    *,
    note: str | None = None,
    recompute_roster: bool = True,
) -> ImportResult:
    """Import what an adapter's ``fetch_attendance`` returned (ready) as a polled report."""
    raw = fetched.raw if isinstance(fetched.raw, dict) else {"rows": fetched.raw}
    return await import_reports(
        ctx,
        tx,
        session,
        list(fetched.reports),
        AttendanceSource.POLL,
        raw=raw,
        note=note,
        recompute_roster=recompute_roster,
    )
