"""Request dependencies: the runtime, and the account an API key acts for."""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from vilt.runtime import Runtime
from vilt.services import accounts
from vilt.services.context import Actor

_bearer = HTTPBearer(auto_error=False, description="An API key created with `vilt apikey create`.")
_CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class Principal:
    account_id: uuid.UUID
    actor: Actor


class KeyCache:
    """Keeps authenticated keys for a short while, so a launch costs one query, not two.
    A revoked key stops working within ``_CACHE_SECONDS``."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Principal]] = {}

    def get(self, token: str) -> Principal | None:
        digest = hashlib.sha256(token.encode()).hexdigest()
        found = self._entries.get(digest)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, token: str, principal: Principal) -> None:
        if len(self._entries) > 10_000:
            self._entries.clear()
        digest = hashlib.sha256(token.encode()).hexdigest()
        self._entries[digest] = (time.monotonic() + _CACHE_SECONDS, principal)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            401, "Send an API key: Authorization: Bearer <key>.", headers={"WWW-Authenticate": "Bearer"}
        )
    cache: KeyCache = request.app.state.key_cache
    token = credentials.credentials
    principal = cache.get(token)
    if principal is not None:
        return principal
    runtime = get_runtime(request)
    async with runtime.db.reading() as tx:
        key = await accounts.authenticate(tx, token)
    if key is None:
        raise HTTPException(401, "The API key is unknown or revoked.", headers={"WWW-Authenticate": "Bearer"})
    principal = Principal(key.account_id, Actor("apikey", str(key.id), key.name))
    cache.put(token, principal)
    return principal


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
