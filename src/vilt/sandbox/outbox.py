"""Callbacks a simulator sends to the service, in the background like a real provider."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

ClientFactory = Callable[[], httpx.AsyncClient]


@dataclass
class SentCallback:
    kind: str
    method: str
    url: str
    at: datetime
    status: int | None = None
    error: str | None = None
    body: Any = None

    def public(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "method": self.method,
            "url": self.url,
            "at": self.at.isoformat(),
            "status": self.status,
            "error": self.error,
        }


@dataclass
class Outbox:
    client_factory: ClientFactory | None
    sent: list[SentCallback] = field(default_factory=list)
    _pending: list[tuple[SentCallback, Mapping[str, str], bytes | None]] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def enqueue(
        self,
        record: SentCallback,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> None:
        self.sent.append(record)
        self._pending.append((record, dict(headers or {}), content))
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # delivered by the next drain()
        task = loop.create_task(self._flush())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _flush(self) -> None:
        while self._pending:
            record, headers, content = self._pending.pop(0)
            await self._deliver(record, headers, content)

    async def _deliver(self, record: SentCallback, headers: Mapping[str, str], content: bytes | None) -> None:
        if self.client_factory is None:
            record.error = "no outbound client configured"
            return
        try:
            async with self.client_factory() as client:
                response = await client.request(record.method, record.url, headers=headers, content=content)
            record.status = response.status_code
        except Exception as exc:  # like a real server: a failed delivery is only recorded
            record.error = type(exc).__name__

    async def drain(self) -> None:
        """Wait until every queued callback was delivered (or failed)."""
        await self._flush()
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
