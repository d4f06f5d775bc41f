"""Thin, typed calls to the Microsoft identity platform and Microsoft Graph: access tokens
(client credentials, or a refresh token from a sign-in, rotated and kept), cached until shortly
before they expire and renewed once on a 401; Graph's and the identity platform's error bodies
mapped to the shared errors; ``@odata.nextLink`` paging."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from vilt.clock import Clock
from vilt.providers.base import ProviderState
from vilt.providers.errors import AuthExpired, Invalid, NotFound, RateLimited, Retriable
from vilt.providers.http import parse_retry_after, send
from vilt.providers.teams.config import AuthMode, TeamsSettings

PROVIDER = "Microsoft Teams"
RENEW_BEFORE = timedelta(minutes=5)
APP_SCOPE = "https://graph.microsoft.com/.default"
DELEGATED_SCOPES = (
    "offline_access",
    "openid",
    "profile",
    "User.Read",
    "User.ReadBasic.All",
    "Calendars.ReadWrite",
    "OnlineMeetings.ReadWrite",
    "OnlineMeetingArtifact.Read.All",
)
POLICY_FIX = (
    "Teams has no application access policy for this app, so it may not create or read meetings on "
    "the users' behalf. In Teams PowerShell run: New-CsApplicationAccessPolicy -Identity Vilt-Policy "
    '-AppIds "{client_id}" -Description "Vilt", then Grant-CsApplicationAccessPolicy -PolicyName '
    "Vilt-Policy -Global (or grant it to every instructor); the policy can take up to 30 minutes to apply."
)
# identity platform error codes (AADSTS...) → the setting at fault
_FIELD_BY_CODE = {
    7000215: "client_secret",  # invalid client secret
    7000222: "client_secret",  # the client secret expired
    700016: "client_id",  # no such application in the tenant
    90002: "tenant_id",  # no such tenant
    900023: "tenant_id",  # not a tenant identifier
    90014: "client_id",
}


@dataclass(frozen=True)
class Token:
    value: str
    expires_at: datetime


class SignInRefused(AuthExpired):
    """The identity platform refused the app or the sign-in; ``field`` is the setting at fault."""

    def __init__(self, reason: str, field: str | None) -> None:
        super().__init__(reason)
        self.field = field


class AccessPolicyMissing(Invalid):
    """Graph's 403 "No application access policy found for this app"."""


class GraphForbidden(Invalid):
    """Any other 403: a permission the app (or the signed-in user) lacks."""


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def raise_for_graph(response: httpx.Response, now: datetime, client_id: str) -> None:
    """Graph's error body is ``{"error": {"code", "message", "innerError": {...}}}``."""
    status = response.status_code
    if status < 400:
        return
    error = _body(response).get("error")
    error = error if isinstance(error, Mapping) else {}
    code = str(error.get("code") or f"HTTP {status}")
    message = str(error.get("message") or "").strip()
    said = f"{code}: {message}" if message else code
    if status == 401:
        raise AuthExpired(f"Microsoft Graph refused the access token ({said}).")
    if status == 403:
        if "application access policy" in message.lower():
            raise AccessPolicyMissing(POLICY_FIX.format(client_id=client_id))
        raise GraphForbidden(
            f"Microsoft Graph refused access ({said}). The app needs the permissions Calendars.ReadWrite, "
            "OnlineMeetings.ReadWrite(.All), OnlineMeetingArtifact.Read.All and User.Read(.All), with admin "
            "consent."
        )
    if status == 404:
        raise NotFound(f"Microsoft Graph: {said}")
    if status == 429:
        # Retry-After in seconds; without it the worker backs off exponentially
        raise RateLimited(
            f"Microsoft Graph is throttling this app ({said}).",
            parse_retry_after(response.headers.get("Retry-After"), now),
        )
    if status >= 500 or status == 408:
        raise Retriable(
            f"Microsoft Graph failed (HTTP {status}, {said}).",
            parse_retry_after(response.headers.get("Retry-After"), now),
        )
    raise Invalid(f"Microsoft Graph refused the request ({said}).")


def _sign_in_error(response: httpx.Response, what: str) -> SignInRefused | Retriable:
    body = _body(response)
    if response.status_code >= 500:
        return Retriable(f"The Microsoft identity platform failed (HTTP {response.status_code}).")
    error = str(body.get("error") or f"HTTP {response.status_code}")
    description = str(body.get("error_description") or "").split("\r\n")[0].split(" Trace ID:")[0].strip()
    listed = body.get("error_codes")
    codes: list[Any] = listed if isinstance(listed, list) else []
    field = next((_FIELD_BY_CODE[c] for c in codes if c in _FIELD_BY_CODE), None)
    if field is None and error == "invalid_client":
        field = "client_secret"
    if error == "invalid_grant":
        return SignInRefused(
            f"The sign-in to Microsoft is no longer valid ({description or error}); sign in again.", None
        )
    return SignInRefused(f"Microsoft refused {what} ({error}: {description or 'no description'}).", field)


class GraphClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: TeamsSettings,
        clock: Clock,
        grant: Mapping[str, str],
        state: ProviderState,
    ) -> None:
        self._http = http
        self._settings = settings
        self._clock = clock
        self.grant = dict(grant)
        self._state = state
        self._token: Token | None = None
        self._origin = urlsplit(settings.graph_url)[:2]

    @property
    def token_url(self) -> str:
        return f"{self._settings.login_url}/{self._settings.tenant_id}/oauth2/v2.0/token"

    def authorize_url(self, state: str, redirect_uri: str) -> str:
        s = self._settings
        query = urlencode(
            {
                "client_id": s.client_id,
                "response_type": "code",
                "redirect_uri": redirect_uri,
                "response_mode": "query",
                "scope": " ".join(DELEGATED_SCOPES),
                "state": state,
                "prompt": "select_account",
            }
        )
        return f"{s.login_url}/{s.tenant_id}/oauth2/v2.0/authorize?{query}"

    async def _token_request(self, form: dict[str, str], what: str) -> dict[str, Any]:
        s = self._settings
        form = {"client_id": s.client_id, "client_secret": s.client_secret.get_secret_value(), **form}
        request = self._http.build_request("POST", self.token_url, data=form)
        response = await send(self._http, request, provider="the Microsoft identity platform")
        body = _body(response)
        if response.status_code != 200 or not body.get("access_token"):
            raise _sign_in_error(response, what)
        return body

    async def redeem_code(self, code: str, redirect_uri: str) -> dict[str, Any]:
        """The authorization-code grant: the sign-in's tokens, with the scopes it granted."""
        body = await self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "scope": " ".join(DELEGATED_SCOPES),
            },
            "the sign-in",
        )
        self._token = self._token_of(body)
        return body

    def _token_of(self, body: Mapping[str, Any]) -> Token:
        lifetime = int(body.get("expires_in") or 3599)
        return Token(str(body["access_token"]), self._clock.now() + timedelta(seconds=lifetime))

    async def token(self) -> str:
        now = self._clock.now()
        if self._token is not None and self._token.expires_at - RENEW_BEFORE > now:
            return self._token.value
        if self._settings.auth_mode == AuthMode.APPLICATION:
            body = await self._token_request(
                {"grant_type": "client_credentials", "scope": APP_SCOPE}, "the app's credentials"
            )
        else:
            refresh = self.grant.get("refresh_token")
            if not refresh:
                raise AuthExpired("Nobody has signed in to Microsoft for this integration yet.")
            body = await self._token_request(
                {
                    "grant_type": "refresh_token",
                    "refresh_token": refresh,
                    "scope": " ".join(DELEGATED_SCOPES),
                },
                "the stored sign-in",
            )
            rotated = str(body.get("refresh_token") or "")
            if rotated and rotated != refresh:
                # refresh tokens are replaced on use: keep the new one, or the sign-in ages out
                self.grant["refresh_token"] = rotated
                await self._state.save_grant(self.grant)
        self._token = self._token_of(body)
        return self._token.value

    def forget_token(self) -> None:
        self._token = None

    def _url(self, path_or_url: str) -> str:
        if not path_or_url.startswith(("http://", "https://")):
            return f"{self._settings.graph_url}{path_or_url}"
        if urlsplit(path_or_url)[:2] != self._origin:
            # a nextLink elsewhere would carry our token away
            raise Retriable("Microsoft Graph pointed to a next page on another host; not followed.")
        return path_or_url

    async def call(
        self, method: str, path_or_url: str, *, json: Any = None, params: Mapping[str, str] | None = None
    ) -> httpx.Response:
        url = self._url(path_or_url)
        for attempt in (1, 2):
            request = self._http.build_request(
                method,
                url,
                json=json,
                params=dict(params) if params else None,
                headers={"Authorization": f"Bearer {await self.token()}"},
            )
            response = await send(self._http, request, provider="Microsoft Graph")
            if response.status_code == 401 and attempt == 1:
                self.forget_token()
                continue
            raise_for_graph(response, self._clock.now(), self._settings.client_id)
            return response
        raise AssertionError("unreachable")

    async def json(
        self, method: str, path_or_url: str, *, json: Any = None, params: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        response = await self.call(method, path_or_url, json=json, params=params)
        if not response.content:
            return {}
        body = _body(response)
        if not body:
            raise Retriable("Microsoft Graph gave an answer that is not JSON.")
        return body

    async def pages(
        self, path: str, params: Mapping[str, str] | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Every item of a collection, following ``@odata.nextLink`` verbatim."""
        page = await self.json("GET", path, params=params)
        while True:
            for item in page.get("value") or []:
                if isinstance(item, dict):
                    yield item
            link = page.get("@odata.nextLink")
            if not isinstance(link, str) or not link:
                return
            page = await self.json("GET", link)
