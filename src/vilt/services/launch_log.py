"""Launch records, batched: the launch answer never waits for this write."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import insert

from vilt.storage.db import Database
from vilt.storage.models import Launch

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class LaunchRecord:
    account_id: uuid.UUID
    session_id: uuid.UUID
    user_id: uuid.UUID
    role: str
    at: datetime


class LaunchLog:
    def __init__(self, max_buffer: int = 10_000) -> None:
        self._buffer: list[LaunchRecord] = []
        self.max_buffer = max_buffer
        self.dropped = 0

    def record(self, launch: LaunchRecord) -> None:
        if len(self._buffer) >= self.max_buffer:
            self.dropped += 1  # the database is far behind; the launch itself still succeeds
            return
        self._buffer.append(launch)

    @property
    def pending(self) -> int:
        return len(self._buffer)

    async def flush(self, db: Database) -> int:
        batch, self._buffer = self._buffer, []
        if not batch:
            return 0
        try:
            async with db.transaction() as tx:
                await tx.execute(
                    insert(Launch),
                    [
                        {
                            "id": uuid.uuid4(),
                            "account_id": r.account_id,
                            "session_id": r.session_id,
                            "user_id": r.user_id,
                            "role": r.role,
                            "at": r.at,
                        }
                        for r in batch
                    ],
                )
        except Exception:
            self._buffer = batch + self._buffer  # keep them for the next flush
            log.warning("launch_log.flush_failed", pending=len(self._buffer))
            raise
        return len(batch)
