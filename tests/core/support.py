"""Shared values for the core tests: one fixed instant and the Hypothesis budgets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, settings

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""A Monday morning, in UTC; every test measures time from here."""

PROPERTIES = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
"""Budget for ``@given`` properties: enough to find edge cases, small enough for a fast suite."""


def at(seconds: float) -> datetime:
    """``T0`` plus ``seconds``."""
    return T0 + timedelta(seconds=seconds)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
