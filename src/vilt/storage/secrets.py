"""Secrets at rest: MultiFernet, so keys rotate (the first key encrypts, every key decrypts)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretKeyError(Exception):
    """The configured key is missing or malformed (the message never contains the key)."""


class SecretBox:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise SecretKeyError("VILT_SECRET_KEY is not set; generate one with `vilt secret-key`.")
        try:
            self._fernet = MultiFernet([Fernet(k.strip().encode()) for k in keys])
        except (ValueError, TypeError):
            raise SecretKeyError(
                "VILT_SECRET_KEY must be one or more comma-separated Fernet keys "
                "(32 url-safe base64-encoded bytes each)."
            ) from None

    @classmethod
    def from_setting(cls, value: str) -> SecretBox:
        return cls([k for k in value.split(",") if k.strip()])

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()

    def encrypt(self, values: dict[str, str]) -> str:
        return self._fernet.encrypt(json.dumps(values, sort_keys=True).encode()).decode()

    def decrypt(self, token: str) -> dict[str, str]:
        if not token:
            return {}
        try:
            data = self._fernet.decrypt(token.encode())
        except InvalidToken:
            raise SecretKeyError(
                "Stored secrets cannot be decrypted with the configured keys; "
                "keep the old key in VILT_SECRET_KEY until every secret was rotated."
            ) from None
        values: dict[str, str] = json.loads(data)
        return values

    def rotate(self, token: str) -> str:
        """Re-encrypt ``token`` under the first (newest) key."""
        return self._fernet.rotate(token.encode()).decode()
