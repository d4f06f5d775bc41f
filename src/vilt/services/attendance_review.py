"""Reviewing attendance that matched nobody: list it with name-based suggestions, and let an
administrator say who it was. A binding applies at once (the roster is recomputed), is kept for
later imports of the session (by the provider's participant key), and teaches Vilt the record's
email as an alias of the user for every future session."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core import roster as core_roster
from vilt.core.errors import Conflict, NotFound, ValidationFailed
from vilt.core.identity import is_plausible_email, normalize_email
from vilt.core.matching import MatchMethod
from vilt.services import audit, enrollments, roster, users
from vilt.services.context import Actor, ServiceContext
from vilt.storage.models import AttendanceBinding, AttendanceRecord, Integration, Session, User
from vilt.storage.repositories import attendance as repo
from vilt.storage.repositories import enrollments as enrollments_repo
from vilt.storage.repositories import users as users_repo


@dataclass(frozen=True)
class Suggestion:
    user_id: uuid.UUID
    display_name: str
    email: str


@dataclass(frozen=True)
class Unmatched:
    record: AttendanceRecord
    suggestions: list[Suggestion]


@dataclass(frozen=True)
class Bound:
    record: AttendanceRecord
    enrollment_id: uuid.UUID | None
    alias_added: str | None
    notes: tuple[str, ...]
    """What the binding did, one sentence each (the pages translate them one by one)."""
    roster_version: int | None

    @property
    def note(self) -> str:
        return " ".join(self.notes)


async def unmatched(tx: AsyncSession, session: Session) -> list[Unmatched]:
    """Records of the current import that matched nobody, each with its suggestions."""
    latest = await repo.latest_import(tx, session.id)
    if latest is None:
        return []
    records = await repo.unmatched(tx, latest.id)
    suggested = {uuid.UUID(s) for r in records for s in r.suggestions}
    people = {u.id: u for u in await users_repo.many(tx, session.account_id, suggested)}
    return [
        Unmatched(
            r,
            [
                Suggestion(person.id, person.display_name, person.email)
                for person in (people.get(uuid.UUID(s)) for s in r.suggestions)
                if person is not None
            ],
        )
        for r in records
    ]


async def bind(
    ctx: ServiceContext,
    tx: AsyncSession,
    session: Session,
    record_id: uuid.UUID,
    user_id: uuid.UUID,
    actor: Actor,
) -> Bound:
    core_roster.ensure_editable(session.roster_submitted_at)
    record = await repo.record(tx, session.id, record_id)
    if record is None:
        raise NotFound("No such attendance record in this session.")
    if record.user_id is not None and record.match_method != MatchMethod.MANUAL.value:
        raise Conflict(
            f"This record was matched by {record.match_method} already; only unmatched records are bound.",
            user_id=str(record.user_id),
        )
    user = await users.get(tx, session.account_id, user_id)
    now = ctx.clock.now()
    binding = await repo.binding(tx, session.id, record.participant_key)
    previous = binding.user_id if binding else None
    if binding is None:
        tx.add(
            AttendanceBinding(
                account_id=session.account_id,
                session_id=session.id,
                participant_key=record.participant_key,
                user_id=user.id,
                bound_by=actor.label,
                bound_at=now,
            )
        )
    else:
        binding.user_id, binding.bound_by, binding.bound_at = user.id, actor.label, now
    enrollment_id, note = await _enrollment_for(ctx, tx, session, user, actor)
    # the same participant in other imports of this session (a later report, Update roster)
    for same in await repo.records_of_participant(tx, session.id, record.participant_key):
        if same.user_id is None or same.match_method == MatchMethod.MANUAL.value:
            same.user_id, same.enrollment_id = user.id, enrollment_id
            same.match_method, same.suggestions = MatchMethod.MANUAL.value, []
    alias, alias_note = await _remember_email(ctx, tx, session, record, user, actor)
    await tx.flush()
    audit.record(
        ctx,
        tx,
        session.account_id,
        actor,
        "attendance.bound",
        "session",
        session.id,
        before={"record": str(record.id), "user": str(previous) if previous else None},
        after={
            "record": str(record.id),
            "participant": record.display_name,
            "user": str(user.id),
            "enrollment": str(enrollment_id) if enrollment_id else None,
            "alias": alias,
        },
    )
    version = await roster.recompute(ctx, tx, session, actor=actor, overwrite=False)
    return Bound(record, enrollment_id, alias, tuple(n for n in (note, alias_note) if n), version)


async def _enrollment_for(
    ctx: ServiceContext, tx: AsyncSession, session: Session, user: User, actor: Actor
) -> tuple[uuid.UUID | None, str]:
    registered = await enrollments_repo.enrolled_users(tx, session.id)
    if user.id in registered:
        return registered[user.id], "Applied to the roster."
    integration = await tx.get(Integration, session.integration_id) if session.integration_id else None
    if integration is not None and integration.walk_in_policy == "add":
        added = await enrollments.add_walk_ins(ctx, tx, session, [user.id], actor)
        return added[user.id], "Added as a walk-in (the integration's policy) and applied to the roster."
    return None, (
        f"{user.display_name} is not enrolled in this session, so the roster is unchanged "
        "(the integration ignores walk-ins)."
    )


async def _remember_email(
    ctx: ServiceContext,
    tx: AsyncSession,
    session: Session,
    record: AttendanceRecord,
    user: User,
    actor: Actor,
) -> tuple[str | None, str]:
    if not record.email:
        return None, ""
    address = normalize_email(record.email)
    owner = await users_repo.owner_of_email(tx, session.account_id, address)
    if owner == user.id:
        return None, ""
    if owner is not None:
        return None, f"{address} belongs to another user, so it was not added as an alias."
    if not is_plausible_email(address):
        return None, f"'{record.email}' is not a valid address, so it was not kept as an alias."
    try:
        await users.add_alias(ctx, tx, session.account_id, user.id, address, actor)
    except ValidationFailed:
        return None, f"'{record.email}' could not be kept as an alias."
    return address, f"{address} is now an alias of {user.display_name}."
