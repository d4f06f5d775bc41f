"""Browser sign-in for pages and LTI launches: the session cookie and CSRF checks."""

from __future__ import annotations

from fastapi import Request, Response

from vilt.runtime import Runtime
from vilt.services import browser_sessions
from vilt.services.browser_sessions import SignedIn

COOKIE = "vilt_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def set_session_cookie(runtime: Runtime, response: Response, token: str, *, embedded: bool = False) -> None:
    """``embedded``: inside an LMS iframe (LTI), where only ``SameSite=None; Secure`` cookies
    are sent; over plain http (local demo) browsers refuse those, so Lax is used there."""
    secure = runtime.settings.base_url.startswith("https://")
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        secure=secure,
        samesite="none" if embedded and secure else "lax",
        max_age=int(browser_sessions.LIFETIME.total_seconds()),
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")


async def signed_in(runtime: Runtime, request: Request) -> SignedIn | None:
    async with runtime.db.reading() as tx:
        return await browser_sessions.resolve(runtime.ctx, tx, request.cookies.get(COOKIE))


async def csrf_token_from(request: Request) -> str | None:
    """The CSRF token a form or an htmx request sent."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None
