"""A live proctor room for a proctored assessment: when the assessment's proctoring settings ask
for live proctoring on one of the account's integrations, the learners of an attempt are
enrolled in a Vilt session on that integration — one room per assessment while it is open — and
the check page offers to join it. Proctors (instructors) launch the same session as its hosts."""

from __future__ import annotations

from datetime import timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.services import enrollments, events, sessions
from vilt.services.context import Actor, ServiceContext
from vilt.services.events import EventInput
from vilt.services.sessions import SessionInput
from vilt.storage.lti_models import LtiProctoringAttempt
from vilt.storage.models import Session
from vilt.storage.repositories import lti as repo

log = structlog.get_logger(__name__)

ROOM_HOURS = 4
"""How long a proctor room stays open after it is made; later attempts get a new one."""


async def _open_room(ctx: ServiceContext, tx: AsyncSession, attempt: LtiProctoringAttempt) -> Session | None:
    """The room an earlier attempt at the same assessment made, while it is still open."""
    query = (
        select(Session)
        .join(LtiProctoringAttempt, LtiProctoringAttempt.proctor_session_id == Session.id)
        .where(
            LtiProctoringAttempt.platform_id == attempt.platform_id,
            LtiProctoringAttempt.resource_link_id == attempt.resource_link_id,
            Session.state.in_(("scheduled", "live")),
        )
        .order_by(Session.starts_at.desc())
        .limit(1)
    )
    room = await tx.scalar(query)
    now = ctx.clock.now()
    if room is None or room.starts_at + timedelta(minutes=room.duration_minutes) <= now:
        return None
    return room


async def assign(
    ctx: ServiceContext, tx: AsyncSession, attempt: LtiProctoringAttempt, actor: Actor
) -> Session | None:
    """Enroll the attempt's learner in the assessment's proctor room (made if need be), when its
    settings ask for live proctoring; None when they do not."""
    setting = await repo.proctoring_setting(
        tx, attempt.account_id, attempt.context_id or "", attempt.resource_link_id
    )
    if setting is None or not (setting.enabled and setting.live_proctoring and setting.integration_id):
        return None
    room = await _open_room(ctx, tx, attempt)
    if room is None or room.integration_id != setting.integration_id:
        title = str(attempt.resource_link.get("title") or "Assessment")[:200]
        event = await events.create(
            ctx,
            tx,
            attempt.account_id,
            EventInput(title=f"Proctor room: {title}", kind="meeting", description="Live proctoring"),
            actor,
        )
        room = await sessions.create(
            ctx,
            tx,
            event,
            SessionInput(
                # sessions on a provider start in the future; learners may enter 15 minutes early
                starts_at=ctx.clock.now().replace(second=0, microsecond=0) + timedelta(minutes=1),
                time_zone="UTC",
                duration_minutes=ROOM_HOURS * 60,
                integration_id=setting.integration_id,
            ),
            actor,
        )
        log.info("lti.proctor_room_made", session=str(room.id), assessment=attempt.resource_link_id)
    await enrollments.enroll(ctx, tx, room, attempt.user_id, actor)
    attempt.proctor_session_id = room.id
    return room
