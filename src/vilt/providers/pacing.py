"""Per-category pacing: providers such as Zoom limit calls per second by category (Light, Medium,
Heavy); an adapter spaces its calls so this process stays under each limit, with a margin. The
limit is per provider account and shared with every other process, so a 429 can still come: it
is honoured (``RateLimited`` with the provider's delay)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping


class Pacer:
    def __init__(
        self,
        per_second: Mapping[str, float],
        *,
        margin: float = 0.8,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        # wall-clock limits: the provider counts real seconds, whatever a sandbox clock says
        self._interval = {category: 1.0 / (rate * margin) for category, rate in per_second.items()}
        self._next: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._monotonic = monotonic
        self._sleep = sleep
        self.waited = 0.0
        """Seconds spent waiting, for diagnostics and tests."""

    async def wait(self, category: str) -> None:
        """Return when a call of ``category`` may go out."""
        interval = self._interval.get(category)
        if interval is None:
            return
        lock = self._locks.setdefault(category, asyncio.Lock())
        async with lock:
            now = self._monotonic()
            ready = self._next.get(category, now)
            if ready > now:
                self.waited += ready - now
                await self._sleep(ready - now)
                now = ready
            self._next[category] = now + interval
