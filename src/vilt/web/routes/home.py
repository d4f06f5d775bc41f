"""The front page, signing in and out, the language, and one's own settings."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated
from zoneinfo import available_timezones

from fastapi import Query, Request, Response

from vilt import __version__
from vilt.api.browser import COOKIE, clear_session_cookie, set_session_cookie
from vilt.core.errors import ValidationFailed
from vilt.services import browser_sessions, passwords, users
from vilt.services.users import UserInput
from vilt.storage.repositories import accounts as accounts_repo
from vilt.web.forms import Form, FormErrors
from vilt.web.i18n import LANGUAGES, Texts
from vilt.web.pages import LANGUAGE_COOKIE, AnyPage, Page, SignedIn, SignedInChange, local_path
from vilt.web.routes.common import page_router
from vilt.web.signin_guard import SignInGuard

router = page_router()
SIGNIN_CSRF_COOKIE = "vilt_signin"


def time_zones() -> list[str]:
    zones = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
    return ["UTC", *zones]


@router.get("/")
async def front(page: AnyPage) -> Response:
    if page.viewer is not None:
        return page.redirect(page.viewer.home)
    runtime = page.runtime
    simulators = [(kind, runtime.sandbox_prefix(kind)) for kind in runtime.simulators]
    return page.render("landing.html", version=__version__, sandbox=runtime.sandbox, simulators=simulators)


def _signin_form(
    page: Page,
    *,
    next_url: str,
    email: str = "",
    errors: FormErrors | None = None,
    accounts: list[tuple[str, str]] | None = None,
    status: int = 200,
) -> Response:
    token = secrets.token_urlsafe(24)
    page.cookies[SIGNIN_CSRF_COOKIE] = token
    return page.render(
        "signin.html",
        status=status,
        next_url=next_url,
        email=email,
        errors=errors or FormErrors(),
        signin_token=token,
        accounts=accounts or [],
    )


@router.get("/signin")
async def signin_page(page: AnyPage, next: Annotated[str | None, Query()] = None) -> Response:
    target = local_path(next, "")
    if page.viewer is not None:
        return page.redirect(target or page.viewer.home)
    return _signin_form(page, next_url=target)


@router.post("/signin")
async def signin(page: AnyPage, request: Request) -> Response:
    form = Form(await request.form(), page.texts)
    email, password, target = form.text("email"), str(form.data.get("password") or ""), form.text("next")
    errors = FormErrors()
    expected = request.cookies.get(SIGNIN_CSRF_COOKIE) or ""
    if not expected or not secrets.compare_digest(expected.encode(), form.text("signin_token").encode()):
        errors.add("form", page.gettext("The form has expired. Please sign in again."))
        return _signin_form(page, next_url=local_path(target, ""), email=email, errors=errors, status=400)
    guard: SignInGuard = request.app.state.signin_guard
    wait = guard.wait_seconds(email)
    if wait:
        errors.add(
            "form",
            page.gettext(
                "Too many failed attempts for this address. Try again %(when)s.",
                when=page.texts.relative(timedelta(seconds=wait)),
            ),
        )
        return _signin_form(page, next_url=local_path(target, ""), email=email, errors=errors, status=429)
    async with page.runtime.db.reading() as tx:
        matches = await passwords.check_password(tx, email, password)
    chosen = form.text("account")
    if len(matches) > 1 and chosen:
        matches = [m for m in matches if str(m.user.account_id) == chosen]
    if not matches:
        guard.failed(email)
        errors.add("form", page.gettext("The email or the password is not right."))
        return _signin_form(page, next_url=local_path(target, ""), email=email, errors=errors, status=401)
    if len(matches) > 1:
        async with page.runtime.db.reading() as tx:
            names = await accounts_repo.names(tx, [m.user.account_id for m in matches])
        return _signin_form(
            page,
            next_url=local_path(target, ""),
            email=email,
            accounts=[(str(m.user.account_id), names.get(m.user.account_id, "")) for m in matches],
        )
    guard.succeeded(email)
    match = matches[0]
    async with page.runtime.db.transaction() as tx:
        if match.rehash:
            await passwords.refresh_hash(tx, match.user.id, password)
        token = await browser_sessions.open_session(page.runtime.ctx, tx, match.user, "password")
    page.cookies[SIGNIN_CSRF_COOKIE] = None
    fallback = "/admin/integrations" if "admin" in match.user.roles else "/"
    response = page.redirect(local_path(target, fallback))
    set_session_cookie(page.runtime, response, token)
    return response


@router.post("/signout")
async def signout(page: SignedInChange, request: Request) -> Response:
    async with page.runtime.db.transaction() as tx:
        await browser_sessions.close_session(tx, request.cookies.get(COOKIE))
    response = page.redirect("/signin", page.gettext("You have signed out."))
    clear_session_cookie(response)
    return response


@router.get("/language")
async def choose_language(
    page: AnyPage, lang: Annotated[str, Query()], next: Annotated[str | None, Query()] = None
) -> Response:
    """For visitors who are not signed in; signed-in users choose in their settings."""
    if lang in LANGUAGES:
        page.cookies[LANGUAGE_COOKIE] = lang
    response = page.redirect(local_path(next, "/signin"))
    if lang in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", path="/")
    return response


@router.get("/settings")
async def settings_page(page: SignedIn) -> Response:
    return page.render("settings.html", errors=FormErrors(), zones=time_zones(), values=None)


@router.post("/settings")
async def save_settings(page: SignedInChange, request: Request) -> Response:
    form = Form(await request.form(), page.texts)
    language, zone = form.text("locale"), form.text("time_zone")
    user = page.user.user
    try:
        async with page.runtime.db.transaction() as tx:
            await users.update(
                page.runtime.ctx,
                tx,
                user.account_id,
                user.id,
                UserInput(locale=language or None, time_zone=zone or None),
                page.user.actor,
            )
    except ValidationFailed as exc:
        errors = FormErrors.of(exc, page.texts)
        values = {"locale": language, "time_zone": zone}
        return page.render("settings.html", status=422, errors=errors, zones=time_zones(), values=values)
    return page.redirect("/settings", _saved_in(language, page))


def _saved_in(language: str, page: Page) -> str:
    return Texts(language if language in LANGUAGES else page.texts.language).gettext("Settings saved.")
