"""Teams settings: the Entra (Azure AD) app registration, and how it is authorized.

*delegated*: one licensed user signs in once ("Sign in to Microsoft"); every meeting goes to that
user's calendar. *application*: the app acts on each instructor's calendar (resolved by email),
which needs an application access policy in Teams."""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from vilt.providers.base import ProviderSettings


class AuthMode(StrEnum):
    DELEGATED = "delegated"
    APPLICATION = "application"


class TeamsSettings(ProviderSettings):
    auth_mode: AuthMode = Field(
        default=AuthMode.DELEGATED,
        title="Authorization",
        description="delegated: one licensed user signs in to Microsoft and every meeting goes to that "
        "user's Teams calendar. application: meetings go to each instructor's calendar (every instructor "
        "needs a Microsoft 365 licence, and Teams an application access policy).",
    )
    client_id: str = Field(
        title="Client ID", description="The app registration's Application (client) ID.", min_length=1
    )
    client_secret: SecretStr = Field(
        title="Client secret", json_schema_extra={"writeOnly": True, "format": "password"}
    )
    tenant_id: str = Field(title="Tenant ID", description="The Directory (tenant) ID.", min_length=1)
    attendance_sync: bool = Field(
        default=True,
        title="Receive attendance from Teams",
        description="For an hour after the end, every 5 minutes, Vilt asks Teams for the attendance report "
        "(Teams makes it once everyone has left): attendees are completed, others failed.",
    )
    login_url: str = Field(default="https://login.microsoftonline.com", title="Identity platform")
    graph_url: str = Field(default="https://graph.microsoft.com/v1.0", title="Microsoft Graph")

    @field_validator("login_url", "graph_url")
    @classmethod
    def _absolute_http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("Give the full address, starting with https://")
        return value.rstrip("/")

    def links_by_consent(self) -> bool:
        return self.auth_mode == AuthMode.DELEGATED

    @classmethod
    def link_fields(cls) -> frozenset[str]:
        return frozenset({"auth_mode", "client_id", "client_secret", "tenant_id", "login_url", "graph_url"})

    def account_key(self) -> str:
        return f"{self.tenant_id.strip().lower()}/{self.client_id.strip().lower()}"
