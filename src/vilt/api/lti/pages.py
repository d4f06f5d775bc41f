"""Server-rendered pages of the LTI tool: templates, error pages, the signed-in user."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from vilt.api.browser import csrf_token_from, signed_in
from vilt.core.errors import DomainError, Forbidden
from vilt.runtime import Runtime
from vilt.services.browser_sessions import SignedIn
from vilt.services.lti.hub import LtiHub

templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    enable_async=False,
)

# A page the LMS frames must say so; everything else is refused in frames by the browser default.
FRAMEABLE = {"Content-Security-Policy": "frame-ancestors *", "Cache-Control": "no-store"}


def render(name: str, status: int = 200, **values: Any) -> HTMLResponse:
    return HTMLResponse(templates.get_template(name).render(**values), status_code=status, headers=FRAMEABLE)


def error_page(exc: DomainError) -> HTMLResponse:
    reason = exc.extra.get("reason") if isinstance(exc.extra.get("reason"), str) else exc.code
    return render("error.html", exc.status, title=exc.title, detail=exc.detail, reason=reason)


def autopost(action: str, fields: dict[str, str], title: str) -> HTMLResponse:
    return render("autopost.html", action=action, fields=fields, title=title)


def hub(runtime: Runtime) -> LtiHub:
    assert runtime.lti is not None
    return runtime.lti


class SignInNeeded(Forbidden):
    code = "lti_session_missing"
    title = "Please launch Vilt again from your course"


async def user_of(runtime: Runtime, request: Request, *, csrf: bool = False) -> SignedIn:
    found = await signed_in(runtime, request)
    if found is None or found.session.via != "lti":
        raise SignInNeeded(
            "Your Vilt session has expired or your browser blocked its cookie; open Vilt again from the LMS."
        )
    if csrf and not found.csrf_ok(await csrf_token_from(request)):
        raise Forbidden("The form is out of date (CSRF check failed); reload the page and try again.")
    return found


def session_uuid(signed: SignedIn, name: str) -> uuid.UUID | None:
    raw = signed.session.data.get(name)
    try:
        return uuid.UUID(str(raw)) if raw else None
    except ValueError:
        return None
