"""Server-rendered pages of the LTI tool: templates, error pages, the signed-in user, and the
language a page is written in.

The language: the launch's ``launch_presentation.locale`` when it has one (and the launch stores
it as the user's setting); otherwise the signed-in user's setting; otherwise the browser's
``Accept-Language``; otherwise English. Pages after the launch follow the user's setting."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from vilt.api.browser import csrf_token_from, signed_in
from vilt.api.lti.texts import detail_of, say, word
from vilt.core.errors import DomainError, Forbidden
from vilt.i18n import N_, Texts, first_language, from_locale
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


def texts_of(request: Request, signed: SignedIn | None = None, *, locale: object = None) -> Texts:
    """The reader's language: a launch's ``locale``, the user's setting, ``Accept-Language``."""
    return Texts(
        first_language(
            from_locale(locale),
            signed.user.locale if signed is not None else None,
            accept_language=request.headers.get("accept-language"),
        )
    )


def zone_of(signed: SignedIn | None) -> str:
    return signed.user.time_zone if signed is not None else "UTC"


def render(name: str, texts: Texts, status: int = 200, *, zone: str = "UTC", **values: Any) -> HTMLResponse:
    html = templates.get_template(name).render(
        _=texts.markup_gettext,
        ngettext=texts.markup_ngettext,
        fmt=texts,
        word=lambda group, value: texts.gettext(word(group, value)) if value else "",
        say=lambda text: say(text, texts, zone),
        **values,
    )
    return HTMLResponse(html, status_code=status, headers={**FRAMEABLE, "Content-Language": texts.language})


async def error_page(
    exc: DomainError,
    request: Request,
    runtime: Runtime | None = None,
    *,
    signed: SignedIn | None = None,
    locale: object = None,
) -> HTMLResponse:
    """The error as a page in the reader's language: a launch's ``locale``, else the user signed
    in (looked up when ``runtime`` is given), else ``Accept-Language``."""
    if signed is None and runtime is not None:
        signed = await signed_in(runtime, request)
    texts = texts_of(request, signed, locale=locale)
    zone = zone_of(signed)
    reason = exc.extra.get("reason") if isinstance(exc.extra.get("reason"), str) else exc.code
    return render(
        "error.html",
        texts,
        exc.status,
        title=say(exc.title, texts, zone),
        detail=detail_of(exc, texts, zone),
        reason=reason,
    )


def autopost(action: str, fields: dict[str, str], title: str, texts: Texts) -> HTMLResponse:
    """A form the browser posts on by itself; ``title`` is a message (``N_``)."""
    return render("autopost.html", texts, action=action, fields=fields, title=texts.gettext(title))


def hub(runtime: Runtime) -> LtiHub:
    assert runtime.lti is not None
    return runtime.lti


class SignInNeeded(Forbidden):
    code = "lti_session_missing"
    title = N_("Please launch Vilt again from your course")


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
