"""What every use case receives: the clock, secrets, providers, and who is acting."""

from __future__ import annotations

from dataclasses import dataclass

from vilt.clock import Clock
from vilt.services.launch_log import LaunchLog
from vilt.services.provider_hub import ProviderHub
from vilt.storage.secrets import SecretBox


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

    def url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}{path}"
