"""The database side of ``ProviderState``: adapters keep daily quota counts and renewed OAuth
grants here, each in its own short transaction (the provider call they belong to runs outside
any transaction, and a count must stick even when the work around it fails)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import structlog

from vilt.clock import Clock
from vilt.storage.db import Database
from vilt.storage.repositories import provider_state as repo
from vilt.storage.secrets import SecretBox

log = structlog.get_logger(__name__)

GRANT_PREFIX = "grant:"
"""Secrets under this prefix are a sign-in's grant, not settings an administrator typed."""


def split_secrets(values: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Decrypted secrets → (secret settings, grant)."""
    settings = {k: v for k, v in values.items() if not k.startswith(GRANT_PREFIX)}
    grant = {k[len(GRANT_PREFIX) :]: v for k, v in values.items() if k.startswith(GRANT_PREFIX)}
    return settings, grant


def join_secrets(settings: Mapping[str, str], grant: Mapping[str, str]) -> dict[str, str]:
    return {**settings, **{f"{GRANT_PREFIX}{k}": v for k, v in grant.items()}}


class DatabaseState:
    def __init__(
        self, db: Database, secrets: SecretBox, clock: Clock, integration_id: uuid.UUID, revision: int
    ) -> None:
        self._db = db
        self._secrets = secrets
        self._clock = clock
        self.integration_id = integration_id
        self.revision = revision

    async def save_grant(self, grant: Mapping[str, str]) -> None:
        async with self._db.transaction() as tx:
            integration = await repo.integration_for_update(tx, self.integration_id)
            if integration is None or integration.revision != self.revision:
                # the settings changed since this adapter was built: its grant is void
                log.info("provider_state.stale_grant_dropped", integration=str(self.integration_id))
                return
            settings, _ = split_secrets(self._secrets.decrypt(integration.secrets))
            integration.secrets = self._secrets.encrypt(join_secrets(settings, grant))

    async def take_quota(self, quota: str, subject: str, day: str, limit: int) -> int | None:
        async with self._db.transaction() as tx:
            return await repo.take_quota(
                tx, self.integration_id, quota, subject, day, limit, self._clock.now()
            )

    async def release_quota(self, quota: str, subject: str, day: str) -> None:
        async with self._db.transaction() as tx:
            await repo.release_quota(tx, self.integration_id, quota, subject, day, self._clock.now())
