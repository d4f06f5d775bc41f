"""Keyset-free, simple paging: an opaque cursor over a stable order."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        offset = int(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise BadCursor("The cursor is not one this API returned.") from None
    if offset < 0:
        raise BadCursor("The cursor is not one this API returned.")
    return offset


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


async def paginate(tx: AsyncSession, query: Select[Any], limit: int, cursor: str | None) -> Page[Any]:
    offset = decode_cursor(cursor)
    rows = list((await tx.scalars(query.offset(offset).limit(limit + 1))).all())
    more = len(rows) > limit
    return Page(rows[:limit], encode_cursor(offset + limit) if more else None)
