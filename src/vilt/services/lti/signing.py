"""Signing with one of Vilt's keys."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_pem: str


@functools.lru_cache(maxsize=8)
def loaded(private_pem: str) -> rsa.RSAPrivateKey:
    """Parsing a PEM checks the RSA key (~40 ms): done once per key, not once per signature."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def sign(key: SigningKey, claims: dict[str, Any]) -> str:
    return jwt.encode(
        claims, loaded(key.private_pem), algorithm="RS256", headers={"kid": key.kid, "typ": "JWT"}
    )
