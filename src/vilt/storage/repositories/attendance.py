"""Attendance imports, their records, and live observations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.storage import bulk
from vilt.storage.models import AttendanceBinding, AttendanceImport, AttendanceRecord, LiveObservation


async def import_by_fingerprint(
    tx: AsyncSession, session_id: uuid.UUID, fingerprint: str
) -> AttendanceImport | None:
    return await tx.scalar(
        select(AttendanceImport).where(
            AttendanceImport.session_id == session_id, AttendanceImport.fingerprint == fingerprint
        )
    )


async def latest_import(tx: AsyncSession, session_id: uuid.UUID) -> AttendanceImport | None:
    """The import the roster is computed from: a provider's own report wins over observations."""
    rank = {"webhook": 0, "poll": 1, "manual": 2}
    imports = list(
        (
            await tx.scalars(
                select(AttendanceImport)
                .where(AttendanceImport.session_id == session_id)
                .order_by(AttendanceImport.received_at.desc())
            )
        ).all()
    )
    if not imports:
        return None
    return min(imports, key=lambda i: rank.get(i.source, 9))


async def imports(tx: AsyncSession, session_id: uuid.UUID) -> list[AttendanceImport]:
    query = (
        select(AttendanceImport)
        .where(AttendanceImport.session_id == session_id)
        .order_by(AttendanceImport.received_at)
    )
    return list((await tx.scalars(query)).all())


async def insert_records(tx: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk insert (COPY or one executemany), fast enough for 10,000 participants."""
    await bulk.insert_rows(tx, cast(Table, AttendanceRecord.__table__), rows)


async def records(tx: AsyncSession, import_id: uuid.UUID) -> list[AttendanceRecord]:
    query = (
        select(AttendanceRecord)
        .where(AttendanceRecord.import_id == import_id)
        .order_by(AttendanceRecord.display_name, AttendanceRecord.participant_key)
    )
    return list((await tx.scalars(query)).all())


async def observations(tx: AsyncSession, session_id: uuid.UUID) -> dict[str, LiveObservation]:
    rows = await tx.scalars(select(LiveObservation).where(LiveObservation.session_id == session_id))
    return {o.participant_key: o for o in rows.all()}


async def bindings(tx: AsyncSession, session_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """Participant key → user, as administrators bound unmatched records of this session."""
    rows = await tx.execute(
        select(AttendanceBinding.participant_key, AttendanceBinding.user_id).where(
            AttendanceBinding.session_id == session_id
        )
    )
    return {key: user for key, user in rows}


async def binding(tx: AsyncSession, session_id: uuid.UUID, participant_key: str) -> AttendanceBinding | None:
    return await tx.scalar(
        select(AttendanceBinding).where(
            AttendanceBinding.session_id == session_id, AttendanceBinding.participant_key == participant_key
        )
    )


async def record(tx: AsyncSession, session_id: uuid.UUID, record_id: uuid.UUID) -> AttendanceRecord | None:
    return await tx.scalar(
        select(AttendanceRecord).where(
            AttendanceRecord.session_id == session_id, AttendanceRecord.id == record_id
        )
    )


async def unmatched(tx: AsyncSession, import_id: uuid.UUID) -> list[AttendanceRecord]:
    query = (
        select(AttendanceRecord)
        .where(AttendanceRecord.import_id == import_id, AttendanceRecord.user_id.is_(None))
        .order_by(AttendanceRecord.display_name, AttendanceRecord.participant_key)
    )
    return list((await tx.scalars(query)).all())


async def presence_rows(tx: AsyncSession, import_id: uuid.UUID) -> list[Any]:
    """What completion needs from the matched records of one import, without ORM objects:
    (enrollment_id, intervals, polls_answered, polls_asked)."""
    query = select(
        AttendanceRecord.enrollment_id,
        AttendanceRecord.intervals,
        AttendanceRecord.polls_answered,
        AttendanceRecord.polls_asked,
    ).where(AttendanceRecord.import_id == import_id, AttendanceRecord.enrollment_id.is_not(None))
    return list((await tx.execute(query)).all())


async def records_of_participant(
    tx: AsyncSession, session_id: uuid.UUID, participant_key: str
) -> list[AttendanceRecord]:
    query = select(AttendanceRecord).where(
        AttendanceRecord.session_id == session_id, AttendanceRecord.participant_key == participant_key
    )
    return list((await tx.scalars(query)).all())
