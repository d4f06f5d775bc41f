"""Registrants: learners of a session on a registrant provider (Zoom) are registered ahead, so
their personal join URL is ready when they launch (launch never waits on the provider).

Enrolling, a promotion from the waitlist, or a new provider meeting raise the session's
``registrations_pending`` hint and make it due; the worker's REGISTER action registers whoever
has no registration yet, in batches, and clears the hint when nobody is left."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.providers.base import Capability, Person, Registration
from vilt.services import notify
from vilt.services.context import ServiceContext
from vilt.services.provider_hub import provider_info
from vilt.storage.models import Integration, Session
from vilt.storage.repositories import enrollments as enrollments_repo

log = structlog.get_logger(__name__)

PER_STEP = 300
"""Learners registered in one worker step (the adapter batches them); more follow at once."""


def _due(session: Session, now: datetime) -> None:
    # services.sessions.due_now, repeated: sessions imports enrollments, which imports this module
    if session.due_at is None or session.due_at > now:
        session.due_at = now


def has_registrants(integration: Integration | None) -> bool:
    return integration is not None and Capability.REGISTRANTS in provider_info(integration.kind).capabilities


async def note_change(ctx: ServiceContext, tx: AsyncSession, session: Session) -> None:
    """Someone may need registering now (an enrollment, a promotion): the worker will look."""
    if session.integration_id is None:
        return
    integration = await tx.get(Integration, session.integration_id)
    if has_registrants(integration):
        session.registrations_pending = True
        _due(session, ctx.clock.now())


async def new_meeting(ctx: ServiceContext, tx: AsyncSession, session: Session) -> None:
    """The session got a different provider meeting: every learner registers again."""
    await enrollments_repo.forget_registrations(tx, session.id)
    session.registrations_pending = True
    _due(session, ctx.clock.now())


async def pending_people(tx: AsyncSession, session: Session) -> tuple[Person, ...]:
    waiting = await enrollments_repo.awaiting_registration(tx, session.id, PER_STEP)
    return tuple(Person(identity=e.identity, name=u.display_name, email=u.email) for e, u in waiting)


async def store(
    ctx: ServiceContext,
    tx: AsyncSession,
    session: Session,
    asked: Sequence[Person],
    registered: Sequence[Registration],
) -> int:
    """Keep each registrant id and personal join URL on its enrollment; clear the hint when
    everybody asked for is registered and nobody else waits. Returns how many were not.

    A new personal join URL is owed to the LMS (``enrollment.updated``, change ``join_url``): it
    may show the link itself, and an earlier one stops working once the meeting is replaced."""
    found = await enrollments_repo.by_identities(tx, session.id, [r.identity for r in registered])
    for registration in registered:
        enrollment = found.get(registration.identity)
        if enrollment is not None:
            changed = enrollment.join_url != registration.join_url
            enrollment.registrant_id = registration.registrant_id
            enrollment.join_url = registration.join_url
            if changed:
                await notify.enrollment_updated(ctx, tx, enrollment, "join_url")
    missing = {p.identity for p in asked} - {r.identity for r in registered}
    if missing:
        log.warning("registrations.incomplete", session=str(session.id), missing=len(missing))
    if not asked or (not missing and len(asked) < PER_STEP):
        session.registrations_pending = False
    log.info("registrations.stored", session=str(session.id), registered=len(registered))
    return len(missing)
