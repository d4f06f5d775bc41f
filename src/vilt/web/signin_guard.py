"""Slows down password guessing: after a few failures for one address, sign-in waits."""

from __future__ import annotations

import time
from collections import deque

from vilt.core.identity import normalize_email

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60


class SignInGuard:
    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, email: str) -> deque[float]:
        failures = self._failures.setdefault(normalize_email(email), deque())
        cutoff = time.monotonic() - WINDOW_SECONDS
        while failures and failures[0] < cutoff:
            failures.popleft()
        return failures

    def wait_seconds(self, email: str) -> int:
        """0 when a try is allowed now; otherwise how long until it is."""
        failures = self._recent(email)
        if len(failures) < MAX_FAILURES:
            return 0
        return max(1, int(failures[0] + WINDOW_SECONDS - time.monotonic()))

    def failed(self, email: str) -> None:
        if len(self._failures) > 100_000:
            self._failures.clear()
        self._recent(email).append(time.monotonic())

    def succeeded(self, email: str) -> None:
        self._failures.pop(normalize_email(email), None)
