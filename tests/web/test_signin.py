"""Signing in with a password, secure cookies, CSRF on every change, roles checked by the
server, LTI sign-ins accepted, sign-out."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.web.conftest import PASSWORD, Site
from vilt.api.browser import COOKIE
from vilt.services import browser_sessions, users
from vilt.storage.models import ApiKey, User


async def test_a_password_signs_in_with_a_secure_cookie_and_signs_out(site: Site) -> None:
    client, csrf = await site.signed_in("admin")
    cookie = next(c for c in client.cookies.jar if c.name == COOKIE)
    assert cookie.has_nonstandard_attr("HttpOnly")
    async with site.runtime.db.reading() as tx:
        stored = (await tx.scalars(select(User).where(User.roles.is_not(None)))).all()
    assert all(u.password_hash is None or u.password_hash.startswith("$argon2id$") for u in stored)
    assert (await client.get("/admin/integrations")).status_code == 200
    refused = await client.post("/signout")  # no CSRF token: refused
    assert refused.status_code == 403
    out = await client.post("/signout", data={"csrf_token": csrf})
    assert out.status_code == 303
    again = await client.get("/admin/integrations")
    assert again.status_code == 303
    assert again.headers["location"] == "/signin?next=/admin/integrations"


async def test_a_wrong_password_or_a_forged_form_does_not_sign_in(site: Site) -> None:
    user_id = await site.person("learner", email="lea@site.test")
    client = site.browser()
    form = await client.get("/signin")
    token = re.search(r'name="signin_token" value="([^"]+)"', form.text)
    assert token
    wrong = await client.post(
        "/signin", data={"email": "LEA@site.test", "password": "nope-nope", "signin_token": token.group(1)}
    )
    assert wrong.status_code == 401
    assert "The email or the password is not right." in wrong.text
    assert COOKIE not in client.cookies
    stranger = site.browser()  # a form posted from elsewhere carries no sign-in token
    forged = await stranger.post("/signin", data={"email": "lea@site.test", "password": PASSWORD})
    assert forged.status_code == 400
    assert COOKIE not in stranger.cookies
    form = await client.get("/signin")
    token = re.search(r'name="signin_token" value="([^"]+)"', form.text)
    assert token
    right = await client.post(
        "/signin",
        data={
            "email": " Lea@Site.test ",
            "password": PASSWORD,
            "signin_token": token.group(1),
            "next": "//evil.test/x",
        },
    )
    assert right.status_code == 303
    assert right.headers["location"] == "/"  # never to another site
    assert (await client.get("/my/sessions")).status_code == 200
    assert user_id


async def test_roles_decide_what_the_server_allows(site: Site) -> None:
    learner, csrf = await site.signed_in("learner")
    for path in ("/admin/integrations", "/admin/api-keys", "/events", "/events/new"):
        assert (await learner.get(path)).status_code == 403, path
    created = await learner.post("/admin/api-keys", data={"csrf_token": csrf, "name": "sneaky"})
    assert created.status_code == 403
    async with site.runtime.db.reading() as tx:
        assert (await tx.scalars(select(ApiKey).where(ApiKey.name == "sneaky"))).all() == []
    instructor, _ = await site.signed_in("instructor")
    assert (await instructor.get("/events/new")).status_code == 200
    assert (await instructor.get("/admin/integrations")).status_code == 403
    anonymous = site.browser()
    assert (await anonymous.get("/events")).headers["location"] == "/signin?next=/events"


async def test_every_change_needs_the_csrf_token_in_the_form_or_the_htmx_header(site: Site) -> None:
    admin, csrf = await site.signed_in("admin")
    refused = await admin.post("/admin/api-keys", data={"name": "no token"})
    assert refused.status_code == 403
    assert "The form has expired" in refused.text
    forged = await admin.post("/admin/api-keys", data={"name": "forged", "csrf_token": "x" * 32})
    assert forged.status_code == 403
    by_header = await admin.post("/admin/api-keys", data={"name": "htmx"}, headers={"X-CSRF-Token": csrf})
    assert by_header.status_code == 201
    token = re.search(r'id="issued-key" class="secret" readonly value="([^"]+)"', by_header.text)
    assert token  # shown once, on this answer
    listing = await admin.get("/admin/api-keys")
    assert token.group(1) not in listing.text
    usable = await site.harness.client.get(
        "/api/v1/users", headers={"Authorization": f"Bearer {token.group(1)}"}
    )
    assert usable.status_code == 200
    async with site.runtime.db.reading() as tx:
        names = [k.name for k in (await tx.scalars(select(ApiKey))).all()]
    assert "no token" not in names
    assert "forged" not in names


async def test_an_lti_sign_in_is_accepted_with_the_roles_it_brings(site: Site) -> None:
    user_id = await site.person("learner")
    async with site.runtime.db.transaction() as tx:
        user = await users.get(tx, site.harness.account_id, user_id)
        token = await browser_sessions.open_session(
            site.runtime.ctx, tx, user, "lti", {"roles": ["instructor"], "context": "course-1"}
        )
    client = site.browser()
    client.cookies.set(COOKIE, token)
    assert (await client.get("/events")).status_code == 200  # the course made them an instructor
    assert (await client.get("/my/sessions")).status_code == 200
    settings = await client.get("/settings")
    assert "through the learning platform" in settings.text
    assert (await client.get("/admin/integrations")).status_code == 403


async def test_too_many_wrong_passwords_make_sign_in_wait(site: Site) -> None:
    await site.person("learner", email="guess@site.test")
    client = site.browser()
    statuses = []
    for _ in range(6):
        form = await client.get("/signin")
        token = re.search(r'name="signin_token" value="([^"]+)"', form.text)
        assert token
        answer = await client.post(
            "/signin",
            data={"email": "guess@site.test", "password": "wrong-one", "signin_token": token.group(1)},
        )
        statuses.append(answer.status_code)
    assert statuses == [401] * 5 + [429]
