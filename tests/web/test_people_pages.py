"""The administrator's people pages, over HTTP: add a person with roles and a password (who can
then sign in), errors next to their fields, change roles and addresses, set a new password, and
no way to take away one's own administrator role."""

from __future__ import annotations

import re

from tests.web.conftest import PASSWORD, Site, csrf_of


def _person_path(location: str) -> str:
    assert re.fullmatch(r"/admin/users/[0-9a-f-]{36}", location), location
    return location


async def test_an_administrator_adds_a_person_who_then_signs_in(site: Site) -> None:
    client, csrf = await site.signed_in("admin")
    form = {
        "csrf_token": csrf,
        "display_name": "Ivan Instructor",
        "email": "ivan@",
        "roles": ["instructor"],
        "locale": "ru",
        "time_zone": "Europe/Moscow",
        "password": "short",
    }
    refused = await client.post("/admin/users", data=form)
    assert refused.status_code == 422
    # every error at once, each at its field, the people still listed, nothing typed lost
    assert "A password has at least" in refused.text
    assert "Give a valid email address, like name@example.com." in refused.text
    assert re.search(r'id="f-email" name="email"[^>]*aria-invalid="true"', refused.text)
    assert re.search(r'id="f-password" name="password"[^>]*aria-invalid="true"', refused.text)
    assert 'value="Ivan Instructor"' in refused.text
    assert re.search(r'<a href="/admin/users/[0-9a-f-]{36}">Admin</a>', refused.text)  # the list stays
    short = await client.post("/admin/users", data={**form, "email": "ivan@school.test"})
    assert short.status_code == 422  # a valid person with a bad password is not saved either
    found = await client.get("/admin/users", params={"email": "ivan@school.test"})
    assert "Nobody has this address." in found.text
    form["password"] = "a-long-enough-password"

    added = await client.post("/admin/users", data={**form, "email": "Ivan@School.test"})
    assert added.status_code == 303
    path = _person_path(added.headers["location"])
    listed = await client.get("/admin/users", params={"email": "ivan@school.test"})
    assert "Ivan Instructor" in listed.text
    assert "with a password" in listed.text

    ivan = site.browser()
    token = re.search(r'name="signin_token" value="([^"]+)"', (await ivan.get("/signin")).text)
    assert token
    signed = await ivan.post(
        "/signin",
        data={
            "email": "ivan@school.test",
            "password": "a-long-enough-password",
            "signin_token": token.group(1),
        },
    )
    assert signed.status_code == 303
    assert "Мероприятия" in (await ivan.get("/events")).text  # an instructor, in his language

    taken = await client.post("/admin/users", data={**form, "email": "ivan@school.test"})
    assert "ivan@school.test already belongs to another user in this account." in taken.text

    changed = await client.post(
        path,
        data={
            "csrf_token": csrf,
            "display_name": "Ivan Instructor",
            "email": "ivan@school.test",
            "roles": ["instructor", "learner"],
            "locale": "en",
            "time_zone": "Europe/Moscow",
            "aliases": "ivan.home@mail.test\n",
        },
    )
    assert changed.status_code == 303
    page = (await client.get(path)).text
    assert "ivan.home@mail.test" in page
    assert re.search(r'id="f-roles-learner" name="roles" type="checkbox" value="learner" checked', page)

    reset = await client.post(f"{path}/password", data={"csrf_token": csrf, "new_password": "x"})
    assert reset.status_code == 422
    assert re.search(r'id="f-new_password"[^>]*aria-invalid="true"', reset.text)
    reset = await client.post(
        f"{path}/password", data={"csrf_token": csrf, "new_password": "another-good-one"}
    )
    assert reset.status_code == 303


async def test_an_administrator_cannot_take_away_their_own_administrator_role(site: Site) -> None:
    admin_id = await site.person("admin", email="alla@site.test")
    client = site.browser()
    token = re.search(r'name="signin_token" value="([^"]+)"', (await client.get("/signin")).text)
    assert token
    await client.post(
        "/signin", data={"email": "alla@site.test", "password": PASSWORD, "signin_token": token.group(1)}
    )
    csrf = await csrf_of(client)
    refused = await client.post(
        f"/admin/users/{admin_id}",
        data={
            "csrf_token": csrf,
            "display_name": "Alla",
            "email": "alla@site.test",
            "roles": ["instructor"],
            "locale": "en",
            "time_zone": "UTC",
        },
    )
    assert refused.status_code == 422
    assert "You cannot take away your own administrator role." in refused.text
    assert (await client.get("/admin/users")).status_code == 200  # still an administrator


async def test_people_pages_are_for_administrators_only(site: Site) -> None:
    client, _ = await site.signed_in("instructor")
    assert (await client.get("/admin/users")).status_code == 403
