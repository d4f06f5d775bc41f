"""The Microsoft identity platform, simulated: ``/{tenant}/oauth2/v2.0/authorize`` (a sign-in and
consent page, sandbox mode only) and ``/{tenant}/oauth2/v2.0/token`` with the client-credentials,
authorization-code and refresh-token grants, answering errors as the platform does
(``{error, error_description: "AADSTS...", error_codes}``)."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from vilt.sandbox.teams_state import new_guid

if TYPE_CHECKING:
    from vilt.sandbox.teams import TeamsSimulator

TOKEN_LIFETIME = timedelta(seconds=3599)
CODE_LIFETIME = timedelta(minutes=10)
APP_SCOPE = "https://graph.microsoft.com/.default"


@dataclass
class AccessToken:
    user_id: str | None
    """None for an application token."""
    expires: datetime
    scopes: frozenset[str]


@dataclass
class Grant:
    user_id: str
    scopes: frozenset[str]
    redirect_uri: str = ""
    expires: datetime | None = None


def aad_error(status: int, error: str, code: int, description: str) -> JSONResponse:
    return JSONResponse(
        {
            "error": error,
            "error_description": f"AADSTS{code}: {description} Trace ID: {new_guid()}",
            "error_codes": [code],
            "trace_id": new_guid(),
            "correlation_id": new_guid(),
        },
        status,
    )


class IdentityPlatform:
    def __init__(self, sim: TeamsSimulator) -> None:
        self.sim = sim
        self.tokens: dict[str, AccessToken] = {}
        self.codes: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.issued = 0

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/{tenant}/oauth2/v2.0/authorize", self.authorize_page, methods=["GET"]),
            Route("/{tenant}/oauth2/v2.0/authorize", self.authorize, methods=["POST"]),
            Route("/{tenant}/oauth2/v2.0/token", self.token, methods=["POST"]),
        ]

    def _granted(self, requested: str) -> frozenset[str]:
        wanted = {s for s in requested.split() if s}
        return frozenset(
            s for s in wanted if s in self.sim.delegated_permissions or s in ("openid", "profile")
        )

    # -- sign-in and consent ------------------------------------------------------------------------
    def _app_problem(self, params: dict[str, str], tenant: str) -> str | None:
        if tenant != self.sim.tenant_id:
            return f"Tenant '{tenant}' not found."
        if params.get("client_id") != self.sim.client_id:
            return f"Application with identifier '{params.get('client_id')}' was not found in the directory."
        if params.get("response_type") != "code":
            return "The response_type must be 'code'."
        if not params.get("redirect_uri"):
            return "The request must give a redirect_uri."
        return None

    async def authorize_page(self, request: Request) -> Response:
        params = dict(request.query_params)
        problem = self._app_problem(params, request.path_params["tenant"])
        if problem:
            return HTMLResponse(
                f"<h1>Sign in</h1><p>Sorry, but we're having trouble signing you in.</p>"
                f"<p>{escape(problem)}</p>",
                400,
            )
        hidden = "".join(
            f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in params.items()
        )
        users = "".join(
            f'<li><form method="post">{hidden}<input type="hidden" name="user" value="{escape(u.id)}">'
            f"<button>Sign in as {escape(u.display_name)} ({escape(u.mail)})</button>"
            f"{'' if u.licensed else ' <small>(no Microsoft 365 licence)</small>'}</form></li>"
            for u in self.sim.state.users.values()
        )
        scopes = escape(params.get("scope", ""))
        return HTMLResponse(
            "<!doctype html><title>Sign in to your account</title><h1>Microsoft (simulated)</h1>"
            f"<p>The app <b>{escape(self.sim.client_id)}</b> asks for: {scopes}.</p><ul>{users}</ul>"
            f'<form method="post">{hidden}<input type="hidden" name="deny" value="1">'
            "<button>Cancel</button></form>"
        )

    async def authorize(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode()))
        problem = self._app_problem(form, request.path_params["tenant"])
        if problem:
            return HTMLResponse(f"<p>{escape(problem)}</p>", 400)
        redirect = form["redirect_uri"]
        separator = "&" if "?" in redirect else "?"
        if form.get("deny"):
            query = urlencode(
                {
                    "error": "access_denied",
                    "error_description": "AADSTS65004: User declined to consent to access the app.",
                    "state": form.get("state", ""),
                }
            )
            return RedirectResponse(f"{redirect}{separator}{query}", 302)
        user = self.sim.state.users.get(form.get("user", ""))
        if user is None:
            return HTMLResponse("<p>Pick a user to sign in with.</p>", 400)
        code = secrets.token_urlsafe(32)
        self.codes[code] = Grant(
            user.id, self._granted(form.get("scope", "")), redirect, self.sim.clock.now() + CODE_LIFETIME
        )
        query = urlencode({"code": code, "state": form.get("state", ""), "session_state": new_guid()})
        return RedirectResponse(f"{redirect}{separator}{query}", 302)

    # -- tokens ----------------------------------------------------------------------------------------
    def issue(self, user_id: str | None, scopes: frozenset[str]) -> dict[str, Any]:
        token = secrets.token_urlsafe(40)
        self.tokens[token] = AccessToken(user_id, self.sim.clock.now() + TOKEN_LIFETIME, scopes)
        self.issued += 1
        return {
            "token_type": "Bearer",
            "expires_in": int(TOKEN_LIFETIME.total_seconds()),
            "ext_expires_in": int(TOKEN_LIFETIME.total_seconds()),
            "access_token": token,
        }

    async def token(self, request: Request) -> Response:
        self.sim.calls.append(("POST", "/oauth2/v2.0/token"))
        form = dict(parse_qsl((await request.body()).decode()))
        if request.path_params["tenant"] != self.sim.tenant_id:
            return aad_error(
                400, "invalid_request", 90002, f"Tenant '{request.path_params['tenant']}' not found."
            )
        if form.get("client_id") != self.sim.client_id:
            return aad_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{form.get('client_id')}' was not found in the directory.",
            )
        if not hmac.compare_digest(form.get("client_secret", ""), self.sim.client_secret):
            return aad_error(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being "
                "sent in the request is the client secret value, not the client secret ID.",
            )
        grant_type = form.get("grant_type")
        now = self.sim.clock.now()
        if grant_type == "client_credentials":
            if form.get("scope") != APP_SCOPE:
                return aad_error(400, "invalid_scope", 1002012, "The provided value for scope is not valid.")
            return JSONResponse(self.issue(None, frozenset({APP_SCOPE})))
        if grant_type == "authorization_code":
            grant = self.codes.pop(form.get("code", ""), None)
            if grant is None or (grant.expires is not None and grant.expires < now):
                return aad_error(
                    400,
                    "invalid_grant",
                    70008,
                    "The provided authorization code or refresh token has expired due to inactivity.",
                )
            if grant.redirect_uri != form.get("redirect_uri"):
                return aad_error(
                    400,
                    "invalid_grant",
                    50148,
                    "The redirect_uri does not match the one of the authorization request.",
                )
            return JSONResponse(self._user_tokens(grant))
        if grant_type == "refresh_token":
            grant = self.refresh_tokens.get(form.get("refresh_token", ""))
            if grant is None:
                return aad_error(
                    400, "invalid_grant", 700082, "The refresh token has expired or was revoked."
                )
            return JSONResponse(self._user_tokens(grant))
        return aad_error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")

    def _user_tokens(self, grant: Grant) -> dict[str, Any]:
        body = self.issue(grant.user_id, grant.scopes)
        body["scope"] = " ".join(sorted(grant.scopes - {"offline_access"}))
        if "offline_access" in grant.scopes:
            refresh = secrets.token_urlsafe(48)
            # a refresh token is replaced on every use; the old one stays valid for its lifetime
            self.refresh_tokens[refresh] = Grant(grant.user_id, grant.scopes)
            body["refresh_token"] = refresh
        return body

    def revoke_sign_ins(self) -> None:
        """Every refresh token stops working (a password reset, a revoked session)."""
        self.refresh_tokens.clear()
