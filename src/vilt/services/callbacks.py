"""Callbacks and webhooks from providers: authenticated, then recorded as facts; the worker
decides what follows (DESIGN: webhooks only record facts and make the session due)."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.attendance import AttendanceSource
from vilt.providers.bigbluebutton import webhooks as bbb_webhooks
from vilt.providers.bigbluebutton.config import BigBlueButtonSettings
from vilt.providers.errors import BadSignature, Invalid
from vilt.services import attendance
from vilt.services.context import ServiceContext
from vilt.services.sessions import due_now
from vilt.storage.models import Integration
from vilt.storage.repositories import events as events_repo
from vilt.storage.repositories import integrations as integrations_repo

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class CallbackAnswer:
    status: int
    message: str


async def _integration(tx: AsyncSession, integration_id: uuid.UUID, kind: str) -> Integration | None:
    integration = await integrations_repo.by_id(tx, integration_id)
    return integration if integration is not None and integration.kind == kind else None


async def bigbluebutton_analytics(
    ctx: ServiceContext,
    tx: AsyncSession,
    integration_id: uuid.UUID,
    *,
    authorization: str | None,
    body: bytes,
    form: Mapping[str, str],
) -> CallbackAnswer:
    integration = await _integration(tx, integration_id, "bigbluebutton")
    if integration is None:
        return CallbackAnswer(404, "Unknown integration.")
    settings = ctx.providers.settings_of(integration)
    assert isinstance(settings, BigBlueButtonSettings)
    try:
        parsed = bbb_webhooks.parse_analytics(
            authorization=authorization,
            body=body,
            form=form,
            secret=settings.secret.get_secret_value(),
            now=ctx.clock.now(),
        )
    except BadSignature as exc:
        log.warning("callback.refused", integration=str(integration.id), reason=exc.reason)
        return CallbackAnswer(401, exc.reason)
    except Invalid as exc:
        return CallbackAnswer(400, exc.reason)
    session = await events_repo.session_by_provider_ref(tx, integration.id, parsed.meeting_id)
    if session is None:
        # like Moodle's broker: 410 tells the server to stop retrying for a meeting we do not know
        return CallbackAnswer(410, "No session uses this meeting.")
    if isinstance(parsed, bbb_webhooks.AnalyticsReady):
        session.provider_data = {**session.provider_data, "end_reported": True}
        due_now(session, ctx.clock.now())
        return CallbackAnswer(202, "Noted; attendance is taken from what was observed.")
    result = await attendance.import_reports(
        ctx, tx, session, parsed.reports, AttendanceSource.WEBHOOK, raw=dict(parsed.raw)
    )
    if result.duplicate:
        return CallbackAnswer(202, "Already processed.")
    return CallbackAnswer(200, "Accepted.")


async def bigbluebutton_end(
    ctx: ServiceContext, tx: AsyncSession, integration_id: uuid.UUID, session_id: uuid.UUID, token: str
) -> CallbackAnswer:
    integration = await _integration(tx, integration_id, "bigbluebutton")
    session = await events_repo.session_by_id(tx, session_id)
    if integration is None or session is None or session.integration_id != integration.id:
        return CallbackAnswer(404, "Unknown session.")
    if not hmac.compare_digest(session.callback_token, token):
        return CallbackAnswer(401, "The callback token does not match.")
    # unsigned by BigBlueButton, so only a hint: the worker asks the server before ending anything
    session.provider_data = {**session.provider_data, "end_reported": True}
    session.last_live_check_at = None
    due_now(session, ctx.clock.now())
    return CallbackAnswer(200, "Noted.")
