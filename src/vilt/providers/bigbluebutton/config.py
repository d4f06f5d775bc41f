"""BigBlueButton settings: the server, its shared secret and the checksum algorithm."""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from vilt.providers.base import ProviderSettings


class ChecksumAlgorithm(StrEnum):
    SHA1 = "sha1"
    SHA256 = "sha256"
    SHA384 = "sha384"
    SHA512 = "sha512"


class BigBlueButtonSettings(ProviderSettings):
    server_url: str = Field(
        title="Server URL",
        description="The BigBlueButton server, e.g. https://bbb.example.com/bigbluebutton/",
        min_length=1,
    )
    secret: SecretStr = Field(
        title="API token (shared secret)",
        description="The server's shared secret (bbb-conf --secret).",
        json_schema_extra={"writeOnly": True, "format": "password"},
    )
    checksum_algorithm: ChecksumAlgorithm = Field(
        default=ChecksumAlgorithm.SHA256,
        title="Checksum algorithm",
        description="sha1 and sha256 work everywhere; sha384 and sha512 need BigBlueButton 2.5+.",
    )

    @field_validator("server_url")
    @classmethod
    def _absolute_http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("Give the full address, starting with https://")
        if parts.query or parts.fragment:
            raise ValueError("The server URL takes no query or fragment.")
        return value

    @property
    def api_base(self) -> str:
        """``https://host/bigbluebutton/api`` whichever form the administrator pasted."""
        base = self.server_url.rstrip("/")
        if base.endswith("/bigbluebutton/api"):
            return base
        if base.endswith("/bigbluebutton"):
            return base + "/api"
        return base + "/bigbluebutton/api"

    def account_key(self) -> str:
        parts = urlsplit(self.api_base)
        return f"{parts.netloc.lower()}{parts.path}"
