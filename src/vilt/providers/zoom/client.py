"""Thin, typed calls to Zoom: the Server-to-Server OAuth token (cached until shortly before it
expires, renewed once on a 401), per-category pacing, and Zoom's error bodies mapped to the
shared errors."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from vilt.clock import Clock
from vilt.providers.errors import AuthExpired, Invalid, NotFound, QuotaReached, RateLimited, Retriable
from vilt.providers.http import parse_retry_after, send
from vilt.providers.pacing import Pacer
from vilt.providers.zoom.config import ZoomPlan, ZoomSettings

PROVIDER = "Zoom"
RENEW_BEFORE = timedelta(minutes=5)
PER_SECOND = {
    # Zoom's per-second limits by category and plan (developers.zoom.us, rate limits)
    ZoomPlan.PRO: {"Light": 30.0, "Medium": 20.0, "Heavy": 10.0},
    ZoomPlan.BUSINESS: {"Light": 80.0, "Medium": 60.0, "Heavy": 40.0},
}
SCOPE_CODES = {4700, 4711}
"""The token is valid but lacks the scopes this call needs."""


def encode_meeting_key(key: str) -> str:
    """A meeting id or instance UUID for a URL path. Zoom wants a UUID that starts with ``/`` or
    contains ``//`` encoded twice; every other one once."""
    once = quote(key, safe="")
    return quote(once, safe="") if key.startswith("/") or "//" in key else once


@dataclass(frozen=True)
class Token:
    value: str
    expires_at: datetime


class TokenRefused(AuthExpired):
    """The OAuth server refused the app's credentials; ``field`` is the setting at fault."""

    def __init__(self, reason: str, field: str | None) -> None:
        super().__init__(reason)
        self.field = field


class ZoomNotFound(NotFound):
    def __init__(self, reason: str, code: int | None) -> None:
        super().__init__(reason)
        self.code = code


class ZoomRefused(Invalid):
    def __init__(self, reason: str, code: int | None, field: str | None = None) -> None:
        super().__init__(reason, field)
        self.code = code


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _defer(response: httpx.Response, now: datetime) -> timedelta:
    """Retry-After (seconds or Zoom's ISO datetime), else X-RateLimit-Reset, else a second."""
    defer = parse_retry_after(response.headers.get("Retry-After"), now)
    if defer is None:
        reset = response.headers.get("X-RateLimit-Reset", "")
        if reset.isdigit():
            value = int(reset)
            # an epoch second, or a number of seconds to wait
            defer = timedelta(seconds=max(value - now.timestamp(), 0) if value > 10**9 else value)
    return defer if defer is not None else timedelta(seconds=1)


def raise_for_zoom(response: httpx.Response, now: datetime) -> None:
    status = response.status_code
    if status < 400:
        return
    body = _body(response)
    code = body.get("code") if isinstance(body.get("code"), int) else None
    message = str(body.get("message") or f"HTTP {status}").strip()
    said = f"{message} (code {code})" if code is not None else message
    if status == 401 or code in SCOPE_CODES:
        raise AuthExpired(f"{PROVIDER} refused the access token: {said}")
    if status == 404:
        raise ZoomNotFound(f"{PROVIDER}: {said}", code)
    if status == 429:
        kind = response.headers.get("X-RateLimit-Type", "")
        category = response.headers.get("X-RateLimit-Category", "")
        where = f" ({kind} limit of {category} calls)" if kind and category else ""
        if "particular user" in message or "for the user" in message:
            raise QuotaReached(f"{PROVIDER} refused: {message}", _defer(response, now))
        raise RateLimited(f"{PROVIDER} asked to slow down{where}: {message}", _defer(response, now))
    if status >= 500 or status == 408:
        raise Retriable(
            f"{PROVIDER} failed (HTTP {status}): {said}",
            parse_retry_after(response.headers.get("Retry-After"), now),
        )
    errors = body.get("errors")
    field = None
    if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
        field = str(errors[0].get("field") or "") or None
        said += "; " + "; ".join(
            f"{e.get('field')}: {e.get('message')}" for e in errors if isinstance(e, Mapping)
        )
    raise ZoomRefused(f"{PROVIDER} refused the request: {said}", code, field)


class ZoomClient:
    def __init__(self, http: httpx.AsyncClient, settings: ZoomSettings, clock: Clock) -> None:
        self._http = http
        self._settings = settings
        self._clock = clock
        self._token: Token | None = None
        self.pacer = Pacer(PER_SECOND[settings.plan])
        self.tokens_fetched = 0

    async def token(self) -> str:
        """The cached access token, or a new one when it expires within five minutes."""
        now = self._clock.now()
        if self._token is not None and self._token.expires_at - RENEW_BEFORE > now:
            return self._token.value
        self._token = await self._fetch_token(now)
        return self._token.value

    def forget_token(self) -> None:
        self._token = None

    async def _fetch_token(self, now: datetime) -> Token:
        s = self._settings
        basic = base64.b64encode(f"{s.client_id}:{s.client_secret.get_secret_value()}".encode()).decode()
        request = self._http.build_request(
            "POST",
            f"{s.oauth_url}/oauth/token",
            params={"grant_type": "account_credentials", "account_id": s.account_id},
            headers={"Authorization": f"Basic {basic}"},
        )
        response = await send(self._http, request, provider=PROVIDER)
        body = _body(response)
        if response.status_code >= 500:
            raise Retriable(f"{PROVIDER}'s OAuth server failed (HTTP {response.status_code}).")
        if response.status_code == 429:
            raise RateLimited(f"{PROVIDER}'s OAuth server asked to slow down.", _defer(response, now))
        if response.status_code != 200 or not body.get("access_token"):
            error = str(body.get("error") or "")
            reason = str(
                body.get("reason") or body.get("error_description") or f"HTTP {response.status_code}"
            )
            if error == "invalid_client":
                raise TokenRefused(
                    f"{PROVIDER} refused the client ID or client secret ({reason}).", "client_secret"
                )
            if "account" in reason.lower():
                raise TokenRefused(f"{PROVIDER} does not know this account ID ({reason}).", "account_id")
            if error == "unsupported_grant_type":
                raise TokenRefused(
                    f"{PROVIDER} refused the grant ({reason}): the app must be a Server-to-Server OAuth app.",
                    "client_id",
                )
            raise TokenRefused(f"{PROVIDER} refused to issue a token ({reason}).", None)
        self.tokens_fetched += 1
        lifetime = int(body.get("expires_in") or 3600)
        return Token(str(body["access_token"]), now + timedelta(seconds=lifetime))

    async def call(
        self,
        method: str,
        path: str,
        *,
        category: str,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        """One API call; a 401 renews the token once (Zoom may revoke a token before it expires)."""
        for attempt in (1, 2):
            token = await self.token()
            await self.pacer.wait(category)
            request = self._http.build_request(
                method,
                f"{self._settings.api_url}{path}",
                json=json,
                params=dict(params or {}),
                headers={"Authorization": f"Bearer {token}"},
            )
            response = await send(self._http, request, provider=PROVIDER)
            if response.status_code == 401 and attempt == 1:
                self.forget_token()
                continue
            raise_for_zoom(response, self._clock.now())
            return response
        raise AssertionError("unreachable")

    async def json(
        self,
        method: str,
        path: str,
        *,
        category: str,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        response = await self.call(method, path, category=category, json=json, params=params)
        body = _body(response)
        if response.content and not body:
            raise Retriable(f"{PROVIDER} gave an answer that is not JSON.")
        return body
