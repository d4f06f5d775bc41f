"""What every page needs: who is signed in, their language, rendering, redirects with a
message, CSRF checks, and errors shown as pages rather than JSON."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import structlog
from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.exceptions import HTTPException

from vilt.api.browser import csrf_token_from, signed_in
from vilt.core.errors import DomainError
from vilt.runtime import Runtime
from vilt.services.context import Actor
from vilt.services.users import ROLES
from vilt.storage.models import User
from vilt.web import domain_text
from vilt.web.i18n import LANGUAGE_NAMES, N_, Texts, choose_language
from vilt.web.labels import label

log = structlog.get_logger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGE_COOKIE = "vilt_lang"
FLASH_COOKIE = "vilt_flash"
ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _anchor(name: str) -> str:
    """The form element an error at ``name`` belongs to (``instructor_ids.0`` → ``instructor_ids``)."""
    parts = name.split(".")
    return ".".join(parts[:2]) if parts[0] == "settings" and len(parts) > 1 else parts[0]


ENV.filters["anchor"] = _anchor
ENV.filters["pair"] = lambda value: (value, value)


@dataclass(frozen=True)
class Viewer:
    """The signed-in person, by password or by an LTI launch."""

    user: User
    via: str
    csrf_token: str
    data: dict[str, Any]

    @property
    def roles(self) -> frozenset[str]:
        # an LTI sign-in may bring the roles of its course context (Vilt role names)
        brought = self.data.get("roles")
        extra: list[Any] = brought if isinstance(brought, list) else []
        return frozenset(r for r in [*self.user.roles, *extra] if r in ROLES)

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    @property
    def actor(self) -> Actor:
        return Actor("user", str(self.user.id), self.user.email)

    @property
    def zone(self) -> str:
        return self.user.time_zone or "UTC"

    @property
    def home(self) -> str:
        if self.has("admin"):
            return "/admin/integrations"
        if self.has("instructor"):
            return "/events"
        return "/my/sessions"


class SignInRequired(Exception):
    pass


class NotAllowed(Exception):
    pass


class FormExpired(Exception):
    pass


@dataclass
class Page:
    request: Request
    runtime: Runtime
    viewer: Viewer | None
    texts: Texts
    flash: dict[str, str] | None = None
    cookies: dict[str, str | None] = field(default_factory=dict)
    """Cookies the response sets (None: clear)."""

    @property
    def htmx(self) -> bool:
        return self.request.headers.get("HX-Request") == "true"

    @property
    def zone(self) -> str:
        return self.viewer.zone if self.viewer else "UTC"

    @property
    def user(self) -> Viewer:
        assert self.viewer is not None
        return self.viewer

    def gettext(self, message: str, **values: Any) -> str:
        return self.texts.gettext(message, **values)

    def ngettext(self, singular: str, plural: str, count: int, **values: Any) -> str:
        return self.texts.ngettext(singular, plural, count, **values)

    def say(self, text: str | None) -> str:
        """A message from the services, in the reader's language."""
        return domain_text.translate(text, self.texts, self.zone)

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        texts = self.texts
        html = ENV.get_template(template).render(
            page=self,
            viewer=self.viewer,
            _=texts.markup_gettext,
            ngettext=texts.markup_ngettext,
            fmt=texts,
            lbl=lambda group, value: texts.gettext(label(group, value)),
            say=self.say,
            actor=self.actor_name,
            languages=LANGUAGE_NAMES,
            **context,
        )
        response = HTMLResponse(html, status_code=status)
        self._finish(response)
        return response

    def redirect(self, url: str, message: str | None = None, level: str = "ok") -> Response:
        if message:
            payload = json.dumps({"level": level, "text": message}).encode()
            self.cookies[FLASH_COOKIE] = base64.urlsafe_b64encode(payload).decode()
        response: Response
        if self.htmx:
            # an htmx form that finishes with a navigation: let htmx do a full page load
            response = Response(status_code=204, headers={"HX-Redirect": url})
        else:
            response = RedirectResponse(url, status_code=303)
        self._finish(response)
        return response

    def _finish(self, response: Response) -> None:
        if self.flash is not None and FLASH_COOKIE not in self.cookies:
            self.cookies[FLASH_COOKIE] = None
        for name, value in self.cookies.items():
            if value is None:
                response.delete_cookie(name, path="/")
            else:
                response.set_cookie(name, value, httponly=True, samesite="lax", path="/", max_age=120)
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")

    def actor_name(self, label_text: str | None) -> str:
        """Who changed something, from an actor label (``user:ada@example.com``); a person's
        address or a key's label is shown as it is, marked as not to be translated."""
        if not label_text:
            return ""
        kind, _, name = label_text.partition(":")
        if kind in ("user", "apikey"):
            return Markup('<span translate="no">{}</span>').format(name)
        return self.texts.gettext(label("actor", name if kind == "system" and name else kind))


def _flash(request: Request) -> dict[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(raw.encode()))
    except ValueError:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("text"), str):
        return None
    return {"level": "error" if value.get("level") == "error" else "ok", "text": value["text"]}


async def get_page(request: Request) -> Page:
    runtime: Runtime = request.app.state.runtime
    found = await signed_in(runtime, request)
    viewer = None
    if found is not None:
        viewer = Viewer(found.user, found.session.via, found.session.csrf_token, dict(found.session.data))
    language = choose_language(
        viewer.user.locale if viewer else None,
        request.cookies.get(LANGUAGE_COOKIE),
        request.headers.get("accept-language"),
    )
    return Page(request, runtime, viewer, Texts(language), _flash(request))


def requires(*roles: str, csrf: bool = False) -> Callable[..., Coroutine[Any, Any, Page]]:
    """A page for signed-in users with one of ``roles`` (any role when none are given);
    ``csrf``: a change, which must carry the session's CSRF token."""

    async def dependency(request: Request, page: Annotated[Page, Depends(get_page)]) -> Page:
        if page.viewer is None:
            raise SignInRequired
        if roles and not page.viewer.has(*roles):
            raise NotAllowed
        if csrf and not secrets.compare_digest(
            page.viewer.csrf_token.encode(), ((await csrf_token_from(request)) or "").encode()
        ):
            raise FormExpired
        return page

    return dependency


AnyPage = Annotated[Page, Depends(get_page)]
SignedIn = Annotated[Page, Depends(requires())]
SignedInChange = Annotated[Page, Depends(requires(csrf=True))]
AdminPage = Annotated[Page, Depends(requires("admin"))]
AdminChange = Annotated[Page, Depends(requires("admin", csrf=True))]
StaffPage = Annotated[Page, Depends(requires("admin", "instructor"))]
StaffChange = Annotated[Page, Depends(requires("admin", "instructor", csrf=True))]
LearnerPage = Annotated[Page, Depends(requires("learner"))]
LearnerChange = Annotated[Page, Depends(requires("learner", csrf=True))]


def local_path(target: str | None, fallback: str) -> str:
    """Only our own paths, so ``?next=`` cannot send anyone elsewhere."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return fallback


class PageRoute(APIRoute):
    """Errors on pages are pages: sign-in redirects, 403, 404, and domain errors with their
    message in the reader's language."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                if request.headers.get("HX-Request") == "true":
                    return Response(status_code=204, headers={"HX-Redirect": "/signin"})
                return RedirectResponse(f"/signin?next={quote(target)}", status_code=303)
            except NotAllowed:
                return await error_page(request, 403, N_("This page is not available with your roles."))
            except FormExpired:
                return await error_page(
                    request, 403, N_("The form has expired. Go back, reload the page and try again.")
                )
            except (RequestValidationError, HTTPException):
                return await error_page(request, 404, N_("There is nothing at this address."))
            except DomainError as exc:
                return await error_page(request, exc.status, exc.detail, translate=True)

        return handle


async def error_page(request: Request, status: int, message: str, *, translate: bool = False) -> Response:
    page = await get_page(request)
    text = page.say(message) if translate else page.gettext(message)
    if page.htmx:
        return page.render("_error_fragment.html", status=200, message=text)
    return page.render("error.html", status=status, message=text, status_code=status)


def options(page: Page, group: str, values: Iterable[str]) -> list[tuple[str, str]]:
    """``(value, translated label)`` pairs for a select or radio group."""
    return [(value, page.gettext(label(group, value))) for value in values]
