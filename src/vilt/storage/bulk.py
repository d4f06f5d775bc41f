"""Bulk inserts for the two big writes of an attendance import (10,000 records, 10,000 roster
lines), straight to the driver: ``COPY`` on PostgreSQL, one ``executemany`` on SQLite.

SQLAlchemy's executemany spends most of its time per row on bind processing; here each column
gets one converter, chosen once from its type, that stores values the way SQLAlchemy itself does
(UUIDs as 32 hex characters and datetimes as naive UTC text on SQLite, JSON as text), inside the
caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Boolean, Table, Uuid
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.storage.types import UTCDateTime

Converter = Callable[[Any], Any] | None


class RawJSON(str):
    """JSON text already serialised (an import builds 10,000 small arrays faster by hand)."""


def _json(value: Any) -> Any:
    if value is None or isinstance(value, RawJSON):
        return value
    return json.dumps(value)


def _sqlite_uuid(value: Any) -> Any:
    return None if value is None else value.hex


def _sqlite_datetime(value: Any) -> Any:
    if value is None:
        return None
    assert isinstance(value, datetime)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_bool(value: Any) -> Any:
    return None if value is None else int(value)


def _converter(column_type: Any, sqlite: bool) -> Converter:
    if isinstance(column_type, JSON) or isinstance(getattr(column_type, "impl", None), JSON):
        return _json
    if not sqlite:
        return None  # psycopg writes UUIDs, aware datetimes and booleans as they are
    if isinstance(column_type, Uuid):
        return _sqlite_uuid
    if isinstance(column_type, UTCDateTime):
        return _sqlite_datetime
    if isinstance(column_type, Boolean):
        return _sqlite_bool
    return None


async def insert_rows(tx: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (every row with the same keys) into ``table`` in the open transaction."""
    if not rows:
        return
    columns = list(rows[0])
    connection = await tx.connection()
    sqlite = connection.dialect.name == "sqlite"
    take = itemgetter(*columns)
    convert = [(i, f) for i, name in enumerate(columns) if (f := _converter(table.c[name].type, sqlite))]
    values: list[Any] = [take(row) for row in rows]
    if len(columns) == 1:
        values = [(value,) for value in values]  # itemgetter of one key gives the bare value
    if convert:
        for index, row in enumerate(values):
            row = list(row)
            for column, function in convert:
                row[column] = function(row[column])
            values[index] = row
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    names = ", ".join(f'"{c}"' for c in columns)
    if not sqlite:
        async with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in values:
                await copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    # names come from the table's own columns (table.c[name] above refuses any other)
    await driver.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", values)  # noqa: S608
