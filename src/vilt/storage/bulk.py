"""Bulk inserts for the two big writes of an attendance import (10,000 records, 10,000 roster
lines), straight to the driver: ``COPY`` on PostgreSQL, one ``executemany`` on SQLite.

SQLAlchemy's executemany spends most of its time per row on bind processing; here each value is
converted once, the way SQLAlchemy itself stores it (UUIDs as 32 hex characters and datetimes
as naive UTC text on SQLite, JSON as text), inside the caller's transaction."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _postgres_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


async def insert_rows(tx: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (every row with the same keys) into ``table`` in the open transaction."""
    if not rows:
        return
    columns = list(rows[0])
    for name in columns:
        if name not in table.c:
            raise KeyError(f"{table.name} has no column {name}")
    connection = await tx.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    names = ", ".join(f'"{c}"' for c in columns)
    if connection.dialect.name == "postgresql":
        async with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                await copy.write_row([_postgres_value(row[c]) for c in columns])
        return
    convert: Callable[[Any], Any] = _sqlite_value
    marks = ", ".join("?" for _ in columns)
    await driver.executemany(
        f"INSERT INTO {table.name} ({names}) VALUES ({marks})",  # noqa: S608 (names come from the table)
        [tuple(convert(row[c]) for c in columns) for row in rows],
    )
