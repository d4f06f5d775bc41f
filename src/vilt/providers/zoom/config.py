"""Zoom settings: a Server-to-Server OAuth app (account id, client id, client secret), the
secret token that signs its webhooks, and the plan whose rate limits apply."""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from vilt.providers.base import ProviderSettings


class ZoomPlan(StrEnum):
    PRO = "pro"
    BUSINESS = "business"


class ZoomSettings(ProviderSettings):
    account_id: str = Field(
        title="Account ID", description="From the Server-to-Server OAuth app's credentials.", min_length=1
    )
    client_id: str = Field(title="Client ID", min_length=1)
    client_secret: SecretStr = Field(
        title="Client secret", json_schema_extra={"writeOnly": True, "format": "password"}
    )
    webhook_secret_token: SecretStr | None = Field(
        default=None,
        title="Secret token (webhooks)",
        description="The app's event-subscription secret token; Vilt verifies every webhook with it. "
        "Subscribe to meeting.ended and webinar.ended at this integration's webhook URL.",
        json_schema_extra={"writeOnly": True, "format": "password"},
    )
    default_host_email: str | None = Field(
        default=None,
        title="Default host",
        description="The Zoom user who hosts sessions that have no instructor (otherwise the app's owner).",
    )
    plan: ZoomPlan = Field(
        default=ZoomPlan.PRO,
        title="Zoom plan",
        description="Sets the per-second rate limits Vilt keeps to (pro, or business and above).",
    )
    oauth_url: str = Field(default="https://zoom.us", title="OAuth server")
    api_url: str = Field(default="https://api.zoom.us/v2", title="API base URL")

    @field_validator("oauth_url", "api_url")
    @classmethod
    def _absolute_http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("Give the full address, starting with https://")
        return value.rstrip("/")

    @field_validator("default_host_email")
    @classmethod
    def _an_email(cls, value: str | None) -> str | None:
        if value is not None and value.strip() and "@" not in value:
            raise ValueError("Give the Zoom user's email address.")
        return value.strip() or None if value is not None else None

    def account_key(self) -> str:
        return self.account_id.strip().lower()
