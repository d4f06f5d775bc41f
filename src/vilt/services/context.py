"""What every use case receives: the clock, secrets, providers, and who is acting."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vilt.clock import Clock, SystemClock
from vilt.services.launch_log import LaunchLog
from vilt.services.provider_hub import ProviderHub
from vilt.storage.secrets import SecretBox

if TYPE_CHECKING:
    from vilt.services.deliveries import DeliveryHandler


@dataclass(frozen=True)
class Actor:
    kind: str
    """``apikey``, ``user``, ``worker``, ``provider`` or ``system``."""
    id: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name}"


SYSTEM = Actor("system", "system", "system")
WORKER = Actor("worker", "worker", "worker")
PROVIDER = Actor("provider", "provider", "provider")


@dataclass
class ServiceContext:
    clock: Clock
    secrets: SecretBox
    providers: ProviderHub
    base_url: str
    launches: LaunchLog
    sandbox: bool = False
    deliveries: dict[str, DeliveryHandler] = field(default_factory=dict)
    wall_clock: Clock = field(default_factory=SystemClock)
    """Real time, for what must not follow the sandbox clock (how long a browser stays signed in)."""
    """Senders of outgoing deliveries, by kind."""

    def url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}{path}"
