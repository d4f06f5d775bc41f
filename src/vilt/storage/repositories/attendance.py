"""Attendance imports, their records, and live observations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.storage.models import AttendanceImport, AttendanceRecord, LiveObservation


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
    """Bulk insert (an executemany of the table's plain INSERT: the ORM's bulk path costs several
    times more per row), fast enough for 10,000 participants."""
    if rows:
        await tx.execute(insert(cast(Table, AttendanceRecord.__table__)), list(rows))


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
