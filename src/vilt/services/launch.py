"""Launch: the hot path. One indexed read, the window check, a URL computed locally or
prepared ahead; no provider call for a learner and no write the answer waits for."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from vilt.core.errors import Conflict, NotFound
from vilt.core.launch import LaunchContext, LaunchLeads, LaunchRole, decide_launch
from vilt.core.scheduling import EnrollmentStatus
from vilt.core.sessions import SessionState
from vilt.metrics import LAUNCHES
from vilt.providers.base import MeetingRef, Person
from vilt.providers.errors import ProviderError
from vilt.services.context import ServiceContext
from vilt.services.launch_log import LaunchRecord
from vilt.storage.db import Database
from vilt.storage.repositories import events as events_repo
from vilt.storage.repositories import integrations as integrations_repo


@dataclass(frozen=True)
class LaunchAnswer:
    url: str
    role: LaunchRole


def host_identity(user_id: uuid.UUID) -> str:
    return f"i{user_id.hex[:16]}"


async def launch(
    ctx: ServiceContext,
    db: Database,
    account_id: uuid.UUID,
    session_id: uuid.UUID,
    user_id: uuid.UUID,
) -> LaunchAnswer:
    row = await events_repo.launch_row(db, account_id, session_id, user_id)
    if row is None:
        raise NotFound("No such session or user in this account.")
    now = ctx.clock.now()
    is_instructor = row.instructor_id is not None
    leads = LaunchLeads()
    if row.integration_id is not None:
        leads = LaunchLeads(
            learner=timedelta(minutes=row.learner_lead_minutes),
            instructor=timedelta(minutes=row.instructor_lead_minutes),
        )
    context = LaunchContext(
        state=SessionState(row.state),
        starts_at=row.starts_at,
        is_instructor=is_instructor,
        enrollment_status=EnrollmentStatus(row.enrollment_status) if row.enrollment_status else None,
        leads=leads,
    )
    role = decide_launch(context, now)
    if row.integration_id is None:
        raise Conflict("This session has no online meeting (it has no integration).")
    if not row.integration_active:
        raise Conflict("The session's integration is inactive; an administrator must activate it.")
    if row.provider_ref is None:
        detail = f" Last attempt: {row.sync_error}" if row.sync_error else ""
        raise Conflict(f"The meeting is not ready on the provider yet.{detail}", retry_after=30)
    ref = MeetingRef(row.provider_ref, row.provider_data or {})
    adapter = ctx.providers.cached(row.integration_id, row.integration_revision)
    integration = None
    if adapter is None:
        async with db.reading() as tx:
            integration = await integrations_repo.by_id(tx, row.integration_id)
        assert integration is not None
        adapter = ctx.providers.adapter(integration)
    person = Person(
        identity=host_identity(user_id) if is_instructor else row.identity,
        name=row.display_name,
        email=row.email,
    )
    url = row.join_url if role == LaunchRole.PARTICIPANT else None
    url = url or adapter.join_url(ref, person, role)
    if url is None and role == LaunchRole.HOST:
        if integration is None:
            async with db.reading() as tx:
                integration = await integrations_repo.by_id(tx, row.integration_id)
        assert integration is not None
        try:
            url = await ctx.providers.call(integration, lambda a: a.host_url(ref, person))
        except ProviderError as exc:
            raise Conflict(f"The provider did not give a host link: {exc.reason}", retry_after=30) from None
    if url is None:
        raise Conflict(
            "This learner's personal join link is not ready yet; try again in a minute.", retry_after=60
        )
    ctx.launches.record(LaunchRecord(account_id, session_id, user_id, role.value, now))
    LAUNCHES.labels(role.value).inc()
    return LaunchAnswer(url, role)
