"""Registrants: learners of a session on a registrant provider (Zoom) are registered ahead, so
their personal join URL is ready when they launch (launch never waits on the provider).

Enrolling, a promotion from the waitlist, or a new provider meeting raise the session's
``registrations_pending`` hint and make it due; the worker's REGISTER action registers whoever
has no registration yet, in batches, and clears the hint when nobody is left.

Canceling an enrollment moves its registrant id to ``registrant_to_cancel`` (the learner is no
longer registered here, and enrolling again registers anew) and raises
``unregistrations_pending``; the worker's UNREGISTER action cancels those registrations on the
provider, so the old personal join URL stops admitting the learner, and clears the hint when none
is left."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.sessions import SessionState
from vilt.providers.base import Capability, Person, Registrant, Registration
from vilt.services import notify
from vilt.services.context import ServiceContext
from vilt.services.provider_hub import provider_info
from vilt.storage.models import Enrollment, Integration, Session
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
    session.unregistrations_pending = False
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


def note_cancel(ctx: ServiceContext, session: Session, enrollment: Enrollment) -> None:
    """A canceled enrollment's registration is to be canceled on the provider too. Only while the
    session is open (afterwards the launch window is closed, and the registrant id still matches
    the learner's attendance)."""
    if enrollment.registrant_id is None or session.state not in (
        SessionState.SCHEDULED.value,
        SessionState.LIVE.value,
    ):
        return
    # the planner cancels before it registers, so no newer registrant of this learner can exist
    # while an older one still waits here
    enrollment.registrant_to_cancel = enrollment.registrant_id
    enrollment.registrant_id = None
    enrollment.join_url = None
    session.unregistrations_pending = True
    _due(session, ctx.clock.now())


async def pending_cancels(tx: AsyncSession, session: Session) -> tuple[Registrant, ...]:
    waiting = await enrollments_repo.awaiting_cancel(tx, session.id, PER_STEP)
    return tuple(Registrant(registrant_id=r, email=email) for r, email in waiting)


async def store_cancels(
    tx: AsyncSession, session: Session, asked: Sequence[Registrant], canceled: Sequence[str]
) -> int:
    """Forget the registrations the provider canceled; clear the hint when none is left. Returns
    how many of those asked for are still to be canceled."""
    await enrollments_repo.canceled_on_provider(tx, session.id, list(canceled))
    left = len({r.registrant_id for r in asked} - set(canceled))
    if not left and not await enrollments_repo.has_cancels_waiting(tx, session.id):
        session.unregistrations_pending = False
    log.info("registrations.canceled", session=str(session.id), canceled=len(canceled), left=left)
    return left
