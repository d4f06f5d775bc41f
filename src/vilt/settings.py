"""Configuration from environment variables prefixed ``VILT_``."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VILT_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./vilt.db"
    secret_key: SecretStr | None = Field(
        default=None,
        description="Comma-separated Fernet keys; the first encrypts, all decrypt (rotation).",
    )
    base_url: str = "http://127.0.0.1:8000"
    sandbox: bool = False
    """Sandbox mode: adjustable clock, simulators mounted, clock and tick endpoints."""
    embedded_worker: bool = True
    """Run the worker inside ``vilt serve`` (the embedded default)."""
    worker_interval_seconds: float = 5.0
    worker_batch: int = 50
    lease_seconds: int = 120
    provider_timeout_seconds: float = 20.0
    log_level: str = "info"
    log_json: bool = False

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
