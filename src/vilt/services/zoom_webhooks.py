"""Zoom webhooks: authenticated, then recorded as facts. Zoom wants an answer within 3 seconds
and retries otherwise, so nothing here calls Zoom: a meeting.ended only stores when the meeting
ended and makes the session due; the worker decides what follows (ends the session, fetches the
participants report)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.providers.errors import BadSignature, Invalid
from vilt.providers.zoom import webhooks
from vilt.providers.zoom.config import ZoomSettings
from vilt.services.context import ServiceContext
from vilt.services.sessions import due_now
from vilt.storage.repositories import events as events_repo
from vilt.storage.repositories import integrations as integrations_repo

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class WebhookAnswer:
    status: int
    body: Any


async def receive(
    ctx: ServiceContext, tx: AsyncSession, integration_id: uuid.UUID, headers: Mapping[str, str], body: bytes
) -> WebhookAnswer:
    integration = await integrations_repo.by_id(tx, integration_id)
    if integration is None or integration.kind != "zoom":
        return WebhookAnswer(404, {"error": "Unknown integration."})
    settings = ctx.providers.settings_of(integration)
    assert isinstance(settings, ZoomSettings)
    if settings.webhook_secret_token is None:
        return WebhookAnswer(
            401, {"error": "This integration has no webhook secret token; set it to receive Zoom webhooks."}
        )
    now = ctx.clock.now()
    try:
        event = webhooks.parse(headers, body, settings.webhook_secret_token.get_secret_value(), now)
    except BadSignature as exc:
        log.warning("zoom.webhook_refused", integration=str(integration.id), reason=exc.reason)
        return WebhookAnswer(401, {"error": exc.reason})
    except Invalid as exc:
        return WebhookAnswer(400, {"error": exc.reason})
    if isinstance(event, webhooks.UrlValidation):
        log.info("zoom.webhook_url_validated", integration=str(integration.id))
        return WebhookAnswer(200, event.answer)
    if isinstance(event, webhooks.OtherEvent):
        return WebhookAnswer(200, {"status": "ignored", "event": event.event})
    session = await events_repo.session_by_provider_ref(tx, integration.id, event.meeting_id)
    if session is None:
        # not a meeting of ours (or long gone): 200, so Zoom does not retry it
        return WebhookAnswer(200, {"status": "ignored", "reason": "No session uses this meeting."})
    ended = min(event.ended_at or now, now)
    if session.provider_ended_at is None or ended > session.provider_ended_at:
        session.provider_ended_at = ended
    due_now(session, now)
    log.info("zoom.meeting_ended_reported", session=str(session.id), at=ended.isoformat())
    return WebhookAnswer(200, {"status": "recorded"})
