"""Events: the learning items sessions belong to."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.completion import CompletionRule, RuleKind
from vilt.core.errors import ErrorList, NotFound
from vilt.core.sessions import EventKind, SessionMode, validate_capacity, validate_title
from vilt.providers.base import Capability
from vilt.services import audit, enrollments
from vilt.services.context import Actor, ServiceContext
from vilt.services.provider_hub import provider_info
from vilt.storage.models import Event, Integration
from vilt.storage.repositories import accounts as accounts_repo
from vilt.storage.repositories import events as repo


@dataclass(frozen=True)
class EventInput:
    title: str | None = None
    kind: str | None = None
    description: str | None = None
    trainer: str | None = None
    location: str | None = None
    capacity: int | None = None
    session_mode: str | None = None
    completion_rule: dict[str, Any] | None = None
    series_required_parts: int | None = None
    owner_team_id: uuid.UUID | None = None
    provided: frozenset[str] = field(default_factory=frozenset)


async def _validate(tx: AsyncSession, account_id: uuid.UUID, data: EventInput, creating: bool) -> None:
    errors = ErrorList()
    if creating or data.title is not None:
        validate_title(errors, data.title)
    if data.kind is not None and data.kind not in {k.value for k in EventKind}:
        errors.add("kind", "Choose webinar or meeting.")
    if data.session_mode is not None and data.session_mode not in {m.value for m in SessionMode}:
        errors.add("session_mode", "Choose alternative (one session per learner) or series (every part).")
    validate_capacity(errors, data.capacity)
    if data.series_required_parts is not None and not 1 <= data.series_required_parts <= 1000:
        errors.add("series_required_parts", "Give how many parts complete the series: 1 to 1000.")
    for name in ("trainer", "location"):
        value = getattr(data, name)
        if value is not None and len(value) > 255:
            errors.add(name, "At most 255 characters.")
    if (
        data.owner_team_id is not None
        and await accounts_repo.team(tx, account_id, data.owner_team_id) is None
    ):
        errors.add("owner_team_id", "No such team in this account.")
    errors.raise_if_any()
    if data.completion_rule is not None:
        CompletionRule.parse(data.completion_rule)


async def create(
    ctx: ServiceContext, tx: AsyncSession, account_id: uuid.UUID, data: EventInput, actor: Actor
) -> Event:
    await _validate(tx, account_id, data, creating=True)
    assert data.title is not None
    now = ctx.clock.now()
    event = Event(
        account_id=account_id,
        title=data.title.strip(),
        kind=data.kind or EventKind.WEBINAR.value,
        description=data.description or "",
        trainer=data.trainer or "",
        location=data.location or "Online",
        capacity=data.capacity,
        session_mode=data.session_mode or SessionMode.ALTERNATIVE.value,
        completion_rule=CompletionRule.parse(data.completion_rule).to_json(),
        series_required_parts=data.series_required_parts,
        owner_team_id=data.owner_team_id,
        created_at=now,
        updated_at=now,
    )
    tx.add(event)
    await tx.flush()
    audit.record(ctx, tx, account_id, actor, "event.created", "event", event.id, after={"title": event.title})
    return event


async def get(tx: AsyncSession, account_id: uuid.UUID, event_id: uuid.UUID) -> Event:
    event = await repo.get_event(tx, account_id, event_id)
    if event is None:
        raise NotFound("No such event in this account.")
    return event


async def update(
    ctx: ServiceContext,
    tx: AsyncSession,
    account_id: uuid.UUID,
    event_id: uuid.UUID,
    data: EventInput,
    actor: Actor,
) -> Event:
    event = await get(tx, account_id, event_id)
    await _validate(tx, account_id, data, creating=False)
    if data.completion_rule is not None:
        await _check_rule_fits_sessions(tx, event, CompletionRule.parse(data.completion_rule))
    before = {
        "title": event.title,
        "capacity": event.capacity,
        "completion_rule": event.completion_rule,
        "series_required_parts": event.series_required_parts,
    }
    for name in ("title", "kind", "description", "trainer", "location", "session_mode"):
        value = getattr(data, name)
        if value is not None:
            setattr(event, name, value.strip() if name == "title" else value)
    if data.capacity is not None or "capacity" in data.provided:
        event.capacity = data.capacity
    if data.owner_team_id is not None or "owner_team_id" in data.provided:
        event.owner_team_id = data.owner_team_id
    if data.completion_rule is not None:
        event.completion_rule = CompletionRule.parse(data.completion_rule).to_json()
    if data.series_required_parts is not None or "series_required_parts" in data.provided:
        event.series_required_parts = data.series_required_parts
    event.updated_at = ctx.clock.now()
    if "capacity" in data.provided:
        # sessions without their own capacity follow the event's: a raise frees seats there
        for session in await repo.sessions_of_event(tx, event.id):
            if session.capacity is None and session.state in ("scheduled", "live"):
                await enrollments.promote(ctx, tx, session, actor)
    audit.record(
        ctx,
        tx,
        account_id,
        actor,
        "event.updated",
        "event",
        event.id,
        before=before,
        after={
            "title": event.title,
            "capacity": event.capacity,
            "completion_rule": event.completion_rule,
            "series_required_parts": event.series_required_parts,
        },
    )
    return event


async def _check_rule_fits_sessions(tx: AsyncSession, event: Event, rule: CompletionRule) -> None:
    """The poll rule needs a provider that reports poll answers, for every session that uses the
    event's rule."""
    if rule.kind != RuleKind.ALL_POLLS_ANSWERED:
        return
    errors = ErrorList()
    for session in await repo.sessions_of_event(tx, event.id):
        if session.completion_rule or session.integration_id is None:
            continue
        integration = await tx.get(Integration, session.integration_id)
        if integration is None:
            continue
        info = provider_info(integration.kind)
        if Capability.POLLS not in info.capabilities:
            errors.add(
                "completion_rule",
                f"The session '{session.title}' runs on {info.title}, which does not report poll "
                "answers, so the rule 'all poll questions answered' cannot be used with it.",
            )
            break
    errors.raise_if_any()
