""" "Update roster": at least 24 h after the end, fetch attendance from the provider directly
and overwrite the roster, manual edits included; the previous version stays readable.

The boundary runs it in three steps so the provider call happens outside any transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.errors import when
from vilt.providers.base import AttendanceFetch, MeetingRef, MeetingSpec
from vilt.providers.errors import ProviderError
from vilt.services import attendance, roster, sessions, sync
from vilt.services.context import Actor, ServiceContext
from vilt.storage.models import Integration
from vilt.storage.repositories import attendance as attendance_repo


@dataclass(frozen=True)
class UpdateJob:
    session_id: uuid.UUID
    integration: Integration | None
    ref: MeetingRef | None
    spec: MeetingSpec | None


@dataclass(frozen=True)
class UpdateOutcome:
    version: int
    note: str


async def prepare(
    ctx: ServiceContext, tx: AsyncSession, account_id: uuid.UUID, session_id: uuid.UUID, confirmed: bool
) -> UpdateJob:
    session = await sessions.get(tx, account_id, session_id)
    roster.ensure_update_allowed(ctx, session, confirmed)
    integration = await tx.get(Integration, session.integration_id) if session.integration_id else None
    ref = sync.meeting_ref(session)
    spec = await sync.meeting_spec(ctx, tx, session, integration) if integration and ref else None
    return UpdateJob(session.id, integration, ref, spec)


async def fetch(ctx: ServiceContext, job: UpdateJob) -> AttendanceFetch | ProviderError | None:
    if job.integration is None or job.ref is None or job.spec is None:
        return None
    ref, spec = job.ref, job.spec
    try:
        return await ctx.providers.call(job.integration, lambda a: a.fetch_attendance(ref, spec))
    except ProviderError as exc:
        return exc


async def finish(
    ctx: ServiceContext,
    tx: AsyncSession,
    account_id: uuid.UUID,
    job: UpdateJob,
    fetched: AttendanceFetch | ProviderError | None,
    actor: Actor,
) -> UpdateOutcome:
    session = await sessions.get(tx, account_id, job.session_id, for_update=True)
    roster.ensure_update_allowed(ctx, session, True)
    if isinstance(fetched, AttendanceFetch) and fetched.ready:
        await attendance.import_fetched(
            ctx,
            tx,
            session,
            fetched,
            note="Fetched from the provider by Update roster.",
            recompute_roster=False,
        )
        note = f"Fetched {len(fetched.reports)} record(s) from the provider."
    else:
        latest = await attendance_repo.latest_import(tx, session.id)
        why = (
            fetched.reason
            if isinstance(fetched, ProviderError)
            else fetched.reason
            if isinstance(fetched, AttendanceFetch)
            else "the session has no provider meeting"
        )
        if latest is not None:
            note = (
                f"The provider gave no attendance now ({why.rstrip('.')}); rebuilt from the "
                f"{latest.source} report received {when(latest.received_at)}."
            )
        else:
            note = f"The provider gave no attendance ({why.rstrip('.')}) and none was received before."
    version = await roster.recompute(ctx, tx, session, actor=actor, overwrite=True, note=note)
    assert version is not None
    return UpdateOutcome(version, note)
