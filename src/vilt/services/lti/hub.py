"""Process-wide LTI state: platform key sets (refetched on an unknown ``kid``), service access
tokens (cached per platform and scope set), and the decrypted tool key that signs."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import jwt
from jwt.algorithms import RSAAlgorithm

from vilt.clock import Clock
from vilt.providers.http import HttpEnvironment
from vilt.services.lti.signing import SigningKey, sign

JWKS_REFETCH_INTERVAL = timedelta(seconds=5)
"""An unknown ``kid`` refetches the key set, at most this often per platform."""
TOKEN_MARGIN = timedelta(seconds=60)


class ServiceError(Exception):
    """A platform service call failed; ``retriable`` says whether trying later can help."""

    def __init__(
        self,
        reason: str,
        *,
        status: int | None = None,
        retriable: bool = True,
        retry_after: timedelta | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retriable = retriable
        self.retry_after = retry_after


@dataclass(frozen=True)
class TokenEndpoint:
    """What asking a platform for a service token needs (no database rows in the send path)."""

    platform_id: uuid.UUID
    client_id: str
    token_url: str
    audience: str


class LtiHub:
    def __init__(self, http: HttpEnvironment, clock: Clock) -> None:
        self.http = http
        self.clock = clock
        self._key_sets: dict[str, tuple[datetime, dict[str, Any]]] = {}
        self._tokens: dict[tuple[uuid.UUID, frozenset[str]], tuple[datetime, str]] = {}

    def client(self) -> httpx.AsyncClient:
        return self.http.client(follow_redirects=False)

    # --- platform key sets -------------------------------------------------------------------

    async def _fetch_key_set(self, url: str) -> dict[str, Any]:
        async with self.client() as client:
            try:
                response = await client.get(url, headers={"Accept": "application/json"})
            except httpx.HTTPError as exc:
                raise ServiceError(
                    f"The platform's key set at {url} is unreachable ({type(exc).__name__})."
                ) from None
        if response.status_code != 200:
            raise ServiceError(f"The platform's key set at {url} answered HTTP {response.status_code}.")
        try:
            keys = response.json().get("keys", [])
        except ValueError:
            raise ServiceError(f"The platform's key set at {url} is not JSON.") from None
        found = {}
        for key in keys:
            if isinstance(key, dict) and isinstance(key.get("kid"), str) and key.get("kty") == "RSA":
                try:
                    found[key["kid"]] = RSAAlgorithm.from_jwk(key)
                except (ValueError, KeyError, jwt.InvalidKeyError):
                    continue  # a key we cannot use is as good as absent
        self._key_sets[url] = (self.clock.now(), found)
        return found

    async def platform_key(self, url: str, kid: str) -> Any | None:
        """The public key ``kid`` from the key set at ``url``; refetched when ``kid`` is new
        (the platform rotated its keys). None when the platform does not publish it."""
        cached = self._key_sets.get(url)
        if cached is not None and kid in cached[1]:
            return cached[1][kid]
        if cached is None or self.clock.now() - cached[0] >= JWKS_REFETCH_INTERVAL:
            return (await self._fetch_key_set(url)).get(kid)
        return None

    # --- service tokens ----------------------------------------------------------------------

    def forget_token(self, endpoint: TokenEndpoint, scopes: Iterable[str]) -> None:
        self._tokens.pop((endpoint.platform_id, frozenset(scopes)), None)

    async def access_token(self, endpoint: TokenEndpoint, scopes: Iterable[str], key: SigningKey) -> str:
        """A bearer token for ``scopes``, by a signed client assertion; reused until shortly
        before it expires."""
        wanted = frozenset(scopes)
        now = self.clock.now()
        cached = self._tokens.get((endpoint.platform_id, wanted))
        if cached is not None and cached[0] > now:
            return cached[1]
        assertion = sign(
            key,
            {
                "iss": endpoint.client_id,
                "sub": endpoint.client_id,
                "aud": endpoint.audience,
                "iat": int(now.timestamp()),
                "exp": int((now + timedelta(seconds=60)).timestamp()),
                "jti": uuid.uuid4().hex,
            },
        )
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
            "scope": " ".join(sorted(wanted)),
        }
        async with self.client() as client:
            try:
                response = await client.post(
                    endpoint.token_url, data=form, headers={"Accept": "application/json"}
                )
            except httpx.HTTPError as exc:
                raise ServiceError(
                    f"The platform's token endpoint is unreachable ({type(exc).__name__})."
                ) from None
        if response.status_code != 200:
            retriable = response.status_code >= 500 or response.status_code == 429
            raise ServiceError(
                f"The platform refused a service token (HTTP {response.status_code}); check the tool's "
                "client id and that the platform has Vilt's key set URL.",
                status=response.status_code,
                retriable=retriable,
            )
        try:
            body = response.json()
            token = str(body["access_token"])
            lifetime = int(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise ServiceError("The platform's token answer has no access_token.", retriable=False) from None
        self._tokens[(endpoint.platform_id, wanted)] = (
            now + timedelta(seconds=lifetime) - TOKEN_MARGIN,
            token,
        )
        return token
