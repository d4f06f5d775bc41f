"""Linking a session to a meeting that already exists on the provider (a GoToWebinar webinar
key, for example) instead of having Vilt create one."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.errors import Conflict, ValidationFailed
from vilt.core.sessions import SessionState, SyncState
from vilt.providers.base import Capability
from vilt.services import audit, sessions
from vilt.services.context import Actor, ServiceContext
from vilt.services.provider_hub import provider_info
from vilt.storage.models import Session
from vilt.storage.repositories import events as events_repo
from vilt.storage.repositories import integrations as integrations_repo

FIELD = "provider_ref"


async def link_existing(
    ctx: ServiceContext,
    tx: AsyncSession,
    account_id: uuid.UUID,
    session_id: uuid.UUID,
    key: str,
    actor: Actor,
) -> Session:
    """Use the provider's meeting ``key`` for this session. Nothing is created on the provider;
    later edits of the session are pushed to that meeting as usual."""
    session = await sessions.get(tx, account_id, session_id, for_update=True)
    key = key.strip()
    if not key:
        raise ValidationFailed.one(FIELD, "Give the meeting's key or id from the provider.")
    if len(key) > 512:
        raise ValidationFailed.one(FIELD, "A meeting key has at most 512 characters.")
    if session.state != SessionState.SCHEDULED.value:
        raise Conflict("Only a scheduled session can be linked to a provider meeting.", state=session.state)
    if session.integration_id is None:
        raise ValidationFailed.one(FIELD, "Choose the session's integration first; the meeting lives there.")
    integration = await integrations_repo.get(tx, account_id, session.integration_id)
    assert integration is not None
    info = provider_info(integration.kind)
    if Capability.LINK_EXISTING not in info.capabilities:
        reason = info.unsupported.get(
            Capability.LINK_EXISTING.value, f"{info.title} meetings cannot be linked by their key."
        )
        raise ValidationFailed.one(FIELD, reason)
    if session.provider_ref == key:
        return session
    other = await events_repo.session_by_provider_ref(tx, integration.id, key)
    if other is not None and other.id != session.id:
        raise Conflict(f"That meeting is linked to the session '{other.title}' already.", field=FIELD)
    now = ctx.clock.now()
    if session.provider_ref is not None:
        # the meeting Vilt created before is not used any more: the worker deletes it
        session.stale_meetings = [
            *session.stale_meetings,
            {
                "integration_id": str(integration.id),
                "ref": session.provider_ref,
                "data": dict(session.provider_data),
            },
        ]
    before = session.provider_ref
    session.provider_ref = key
    session.provider_data = {"linked": True}
    # the meeting exists already: nothing is owed to the provider for the current revision
    session.synced_revision = session.desired_revision
    session.sync_state = SyncState.SYNCED.value
    session.sync_error = None
    session.sync_attempts = 0
    session.sync_retry_at = None
    session.updated_at = now
    sessions.due_now(session, now)
    audit.record(
        ctx,
        tx,
        account_id,
        actor,
        "session.meeting_linked",
        "session",
        session.id,
        before={"provider_ref": before},
        after={"provider_ref": key},
    )
    return session
