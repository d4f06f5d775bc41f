"""A stand-in for Blackboard Learn around the Ultra extension: the REST three-legged OAuth
(authorization code, token) and a fake Ultra page that hosts the extension in an iframe and
speaks the UEF message protocol over a MessagePort, as Ultra does (no public Ultra emulator
exists)."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

SELECTOR = "course.content.assessment.settings.proctoring.panel.settings"
ULTRA_PAGE = (Path(__file__).parent / "ultra.html").read_text().replace("__SELECTOR__", SELECTOR)


@dataclass
class FakeLearn:
    rest_key: str = "learn-app-key"
    rest_secret: str = "learn-app-secret"
    codes: dict[str, str] = field(default_factory=dict)
    issued: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.app = Starlette(
            routes=[
                Route("/learn/api/public/v1/oauth2/authorizationcode", self.authorize),
                Route("/learn/api/public/v1/oauth2/token", self.token, methods=["POST"]),
                Route("/ultra", self.ultra),
            ]
        )

    async def authorize(self, request: Request) -> Response:
        query = request.query_params
        if query.get("client_id") != self.rest_key or query.get("response_type") != "code":
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        code = secrets.token_hex(8)
        self.codes[code] = query["redirect_uri"]
        return RedirectResponse(
            f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}", 302
        )

    async def token(self, request: Request) -> Response:
        expected = base64.b64encode(f"{self.rest_key}:{self.rest_secret}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        form = await request.form()
        if self.codes.pop(str(form.get("code")), None) != form.get("redirect_uri"):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        token = "learn-user-token-" + secrets.token_hex(6)
        self.issued.append(token)
        return JSONResponse({"access_token": token, "token_type": "bearer", "expires_in": 3599})

    async def ultra(self, request: Request) -> Response:
        return HTMLResponse(ULTRA_PAGE)
