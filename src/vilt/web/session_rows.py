"""What pages show about sessions, read together: integration, instructors, enrollments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.launch import DEFAULT_INSTRUCTOR_LEAD, DEFAULT_LEARNER_LEAD
from vilt.providers.base import ProviderInfo
from vilt.services.provider_hub import provider_info
from vilt.storage.models import Integration, Session, User
from vilt.storage.repositories import enrollments as enrollments_repo
from vilt.storage.repositories import events as events_repo
from vilt.storage.repositories import integrations as integrations_repo


@dataclass(frozen=True)
class SessionRow:
    session: Session
    integration: Integration | None
    info: ProviderInfo | None
    instructors: list[User]
    counts: dict[str, int]

    @property
    def ends_at(self) -> datetime:
        return self.session.starts_at + timedelta(minutes=self.session.duration_minutes)

    @property
    def instructor_opens_at(self) -> datetime:
        lead = (
            timedelta(minutes=self.integration.instructor_lead_minutes)
            if self.integration
            else DEFAULT_INSTRUCTOR_LEAD
        )
        return self.session.starts_at - lead

    @property
    def learner_opens_at(self) -> datetime:
        lead = (
            timedelta(minutes=self.integration.learner_lead_minutes)
            if self.integration
            else DEFAULT_LEARNER_LEAD
        )
        return self.session.starts_at - lead

    def is_instructor(self, user: User) -> bool:
        return any(i.id == user.id for i in self.instructors)


async def session_rows(tx: AsyncSession, sessions: Sequence[Session]) -> list[SessionRow]:
    rows = []
    cache: dict[object, Integration | None] = {}
    for session in sessions:
        integration = None
        if session.integration_id is not None:
            if session.integration_id not in cache:
                cache[session.integration_id] = await integrations_repo.by_id(tx, session.integration_id)
            integration = cache[session.integration_id]
        rows.append(
            SessionRow(
                session,
                integration,
                provider_info(integration.kind) if integration else None,
                await events_repo.instructors(tx, session.id),
                await enrollments_repo.counts(tx, session.id),
            )
        )
    return rows
