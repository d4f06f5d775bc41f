"""The adapter tests use the same simulator fixtures as the simulator's own tests."""

from tests.sandbox.conftest import api, clock, receiver, sim

__all__ = ["api", "clock", "receiver", "sim"]
