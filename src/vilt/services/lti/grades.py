"""Assignment and Grade Services 2.0: a roster becomes one score per learner on the line item
of every resource link bound to the session's event.

Scores are owed in the roster change's own transaction (durable deliveries of kind
``lti_score``) and sent by the worker: a platform that is down delays them, never loses them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.completion import Completion
from vilt.core.event_result import EventResult
from vilt.core.lti import MEDIA_SCORE, SCOPE_SCORE, score_for, scores_url
from vilt.core.sessions import SessionMode
from vilt.providers.http import parse_retry_after
from vilt.services import deliveries, event_results
from vilt.services.context import ServiceContext
from vilt.services.deliveries import Sent
from vilt.services.lti import keys
from vilt.services.lti.hub import LtiHub, ServiceError, TokenEndpoint
from vilt.services.lti.proctoring import endpoint
from vilt.services.lti.signing import SigningKey
from vilt.storage.models import Delivery, Event, Session
from vilt.storage.repositories import enrollments as enrollments_repo
from vilt.storage.repositories import lti as repo
from vilt.storage.repositories import roster as roster_repo

KIND = "lti_score"


async def _series_results(tx: AsyncSession, session: Session) -> dict[uuid.UUID, EventResult] | None:
    """For a series, each learner's result over all its parts (the grade is the series'); None
    for alternative sessions, which are graded one by one."""
    event = await tx.get(Event, session.event_id)
    if event is None or event.session_mode != SessionMode.SERIES.value:
        return None
    return {found.user_id: found.result for found in await event_results.for_event(tx, event)}


async def publish(ctx: ServiceContext, tx: AsyncSession, session: Session, *, final: bool) -> int:
    """Owe a score per learner for ``session``: every graded link on submit, only links that ask
    for it (``every_change``) on other roster changes. Returns how many were owed."""
    links = [
        link
        for link in await repo.graded_links_of_event(tx, session.event_id)
        if final or link.grade_sync == "every_change"
    ]
    if not links:
        return 0
    entries = {e.user_id: e for e in await roster_repo.entries_at(tx, session.id)}
    series = await _series_results(tx, session)
    enrolled = await enrollments_repo.enrolled_users(tx, session.id)
    version = await roster_repo.latest_number(tx, session.id)
    now = ctx.clock.now()
    owed = 0
    for link in links:
        platform = await repo.platform_by_id(tx, link.platform_id)
        if platform is None or link.lineitem_url is None:
            continue
        subjects = await repo.subjects(tx, session.account_id, platform.issuer, list(enrolled))
        for user_id, subject in subjects.items():
            entry = entries.get(user_id)
            whole = series.get(user_id) if series is not None else None
            if whole is not None:
                # one grade column for the whole series: the parts combined, final once decided
                decided = whole.completion in (Completion.COMPLETED, Completion.FAILED)
                score = score_for(
                    whole.completion.value,
                    entry.attendance if entry else "unknown",
                    whole.basis,
                    link.score_maximum,
                    final=final and decided,
                )
            else:
                score = score_for(
                    entry.completion if entry else "not_started",
                    entry.attendance if entry else "unknown",
                    entry.basis if entry else "",
                    link.score_maximum,
                    final=final,
                )
            await deliveries.enqueue(
                tx,
                now=now,
                account_id=session.account_id,
                kind=KIND,
                target=str(link.id),
                event_type="roster.submitted" if final else "roster.updated",
                payload={
                    "lineitem": link.lineitem_url,
                    "session_id": str(session.id),
                    "score": score.payload(subject, now),
                },
                idempotency_key=f"{link.id}:{session.id}:{user_id}:v{version}:{'final' if final else 'sync'}",
            )
            owed += 1
    return owed


@dataclass(frozen=True)
class PreparedScore:
    endpoint: TokenEndpoint
    key: SigningKey
    url: str


class ScoreSender:
    """Posts one score to ``{lineitem}/scores`` with a cached service token."""

    kind = KIND

    def __init__(self, ctx: ServiceContext, hub: LtiHub) -> None:
        self.ctx = ctx
        self.hub = hub

    async def prepare(self, tx: AsyncSession, delivery: Delivery) -> PreparedScore | None:
        link = await repo.link(tx, delivery.account_id, uuid.UUID(delivery.target))
        platform = await repo.platform_by_id(tx, link.platform_id) if link is not None else None
        if platform is None:
            return None
        return PreparedScore(
            endpoint(platform), await keys.signing_key(self.ctx, tx), scores_url(delivery.payload["lineitem"])
        )

    async def send(self, delivery: Delivery, prepared: Any) -> Sent:
        if prepared is None:
            return Sent(False, error="The resource link or its platform was removed.", permanent=True)
        assert isinstance(prepared, PreparedScore)
        try:
            token = await self.hub.access_token(prepared.endpoint, [SCOPE_SCORE], prepared.key)
        except ServiceError as exc:
            return Sent(False, exc.status, exc.reason, retry_after=exc.retry_after)
        async with self.hub.client() as client:
            try:
                response = await client.post(
                    prepared.url,
                    json=delivery.payload["score"],
                    headers={"Authorization": f"Bearer {token}", "Content-Type": MEDIA_SCORE},
                )
            except httpx.HTTPError as exc:
                return Sent(False, error=f"The platform is unreachable ({type(exc).__name__}).")
        status = response.status_code
        if status < 300:
            return Sent(True, status)
        if status == 401:
            self.hub.forget_token(prepared.endpoint, [SCOPE_SCORE])
        retry_after = parse_retry_after(response.headers.get("Retry-After"), self.ctx.clock.now())
        gone = status in (404, 410)
        reason = (
            "The line item no longer exists on the platform."
            if gone
            else f"The platform answered HTTP {status}."
        )
        return Sent(
            False,
            status,
            reason,
            retry_after=retry_after or (timedelta(0) if status == 401 else None),
            permanent=gone,
        )
