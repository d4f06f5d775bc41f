"""The one injectable clock. Production uses the system clock; sandbox mode and tests use an
adjustable one that the whole deployment (service, worker, simulators) shares."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class AdjustableClock:
    """Real time plus an offset that only ever grows; optionally frozen, optionally faster.

    ``speed`` > 1 makes a session's day pass quickly in the demo; ``frozen`` makes tests exact.
    """

    def __init__(
        self,
        start: datetime | None = None,
        *,
        frozen: bool = False,
        speed: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._origin = start or datetime.now(UTC)
        self._monotonic = monotonic
        self._started = monotonic()
        self._offset = timedelta(0)
        self.frozen = frozen
        self.speed = speed
        self._listeners: list[Callable[[datetime], None]] = []

    def now(self) -> datetime:
        elapsed = 0.0 if self.frozen else (self._monotonic() - self._started) * self.speed
        return self._origin + timedelta(seconds=elapsed) + self._offset

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("The sandbox clock only moves forward.")
        self._offset += timedelta(seconds=seconds)
        current = self.now()
        for listener in list(self._listeners):
            listener(current)
        return current

    def on_advance(self, listener: Callable[[datetime], None]) -> None:
        self._listeners.append(listener)
