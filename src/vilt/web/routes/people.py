"""People of the account for administrators: find them, add someone with their roles (and a
password for signing in here rather than through the LMS), change their name, addresses, roles,
language and zone, and set a new password."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Query, Request, Response

from vilt.core.errors import DomainError, ValidationFailed
from vilt.core.identity import normalize_email
from vilt.services import passwords, users
from vilt.services.users import ROLES, UserInput
from vilt.storage.models import User
from vilt.storage.repositories import users as repo
from vilt.storage.repositories.paging import paginate
from vilt.web.forms import Form, FormErrors, errors_from
from vilt.web.pages import AdminChange, AdminPage, Page, options
from vilt.web.routes.common import page_router
from vilt.web.routes.home import time_zones

router = page_router()
HERE = "/admin/users"


def _roles(page: Page) -> list[tuple[str, str]]:
    return options(page, "role", ROLES)


def _input(form: Form) -> UserInput:
    aliases = [line.strip() for line in form.text("aliases").splitlines() if line.strip()]
    return UserInput(
        email=form.text("email"),
        display_name=form.text("display_name"),
        roles=form.values("roles"),
        locale=form.text("locale") or None,
        time_zone=form.text("time_zone") or None,
        aliases=aliases,
    )


def _values(data: UserInput) -> dict[str, Any]:
    return {
        "email": data.email,
        "display_name": data.display_name,
        "roles": list(data.roles or ()),
        "locale": data.locale,
        "time_zone": data.time_zone,
        "aliases": "\n".join(data.aliases or ()),
    }


async def _people_page(
    page: Page,
    *,
    email: str | None = None,
    cursor: str | None = None,
    values: Mapping[str, Any] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    wanted = normalize_email(email) if email and email.strip() else None
    async with page.runtime.db.reading() as tx:
        found = await paginate(tx, repo.listing(page.user.user.account_id, wanted), 50, cursor)
    return page.render(
        "admin/users.html",
        status=status,
        rows=found.items,
        next_cursor=found.next_cursor,
        email=email or "",
        roles=_roles(page),
        zones=time_zones(),
        values=values or {"roles": ["learner"], "locale": page.texts.language, "time_zone": page.zone},
        errors=errors or FormErrors(),
    )


@router.get(HERE)
async def people(
    page: AdminPage,
    email: Annotated[str | None, Query()] = None,
    cursor: Annotated[str | None, Query()] = None,
) -> Response:
    return await _people_page(page, email=email, cursor=cursor)


class _Unsaved(Exception):
    """Rolls the new person back: the form has an error the services did not see."""


@router.post(HERE)
async def add_person(page: AdminChange, request: Request) -> Response:
    form = Form(await request.form(), page.texts)
    data = _input(form)
    password = form.text("password")
    account_id = page.user.user.account_id
    # every field's error at once: the password is checked beside the person, not before
    password_errors = FormErrors()
    if password:
        try:
            passwords.validate(password)
        except ValidationFailed as exc:
            password_errors = errors_from(exc, page.texts, page.zone)
    errors = FormErrors()
    try:
        async with page.runtime.db.transaction() as tx:
            user = await users.create(page.runtime.ctx, tx, account_id, data, page.user.actor)
            if password_errors:
                raise _Unsaved
            if password:
                await passwords.set_password(
                    page.runtime.ctx, tx, account_id, user.id, password, page.user.actor
                )
    except _Unsaved:
        pass
    except DomainError as exc:
        errors = errors_from(exc, page.texts, page.zone)
    errors.extend(password_errors)
    if errors:
        return await _people_page(page, values=_values(data), errors=errors, status=422)
    return page.redirect(f"{HERE}/{user.id}", page.gettext("%(name)s was added.", name=user.display_name))


async def _person_page(
    page: Page,
    user: User,
    *,
    values: Mapping[str, Any] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    async with page.runtime.db.reading() as tx:
        aliases = await users.aliases(tx, user.id)
    shown = values or {
        "email": user.email,
        "display_name": user.display_name,
        "roles": list(user.roles),
        "locale": user.locale,
        "time_zone": user.time_zone,
        "aliases": "\n".join(aliases),
    }
    return page.render(
        "admin/user_form.html",
        status=status,
        person=user,
        values=shown,
        roles=_roles(page),
        zones=time_zones(),
        errors=errors or FormErrors(),
    )


@router.get(HERE + "/{user_id}")
async def person(page: AdminPage, user_id: uuid.UUID) -> Response:
    async with page.runtime.db.reading() as tx:
        user = await users.get(tx, page.user.user.account_id, user_id)
    return await _person_page(page, user)


@router.post(HERE + "/{user_id}")
async def save_person(page: AdminChange, user_id: uuid.UUID, request: Request) -> Response:
    form = Form(await request.form(), page.texts)
    data = _input(form)
    account_id = page.user.user.account_id
    errors = FormErrors()
    if user_id == page.user.user.id and "admin" not in (data.roles or ()):
        # nobody may lock themselves out of these pages by accident
        errors.add("roles", page.gettext("You cannot take away your own administrator role."))
    else:
        try:
            async with page.runtime.db.transaction() as tx:
                await users.update(page.runtime.ctx, tx, account_id, user_id, data, page.user.actor)
        except DomainError as exc:
            errors = errors_from(exc, page.texts, page.zone)
    if errors:
        async with page.runtime.db.reading() as tx:
            user = await users.get(tx, account_id, user_id)
        return await _person_page(page, user, values=_values(data), errors=errors, status=422)
    return page.redirect(f"{HERE}/{user_id}", page.gettext("The changes were saved."))


@router.post(HERE + "/{user_id}/password")
async def set_password(page: AdminChange, user_id: uuid.UUID, request: Request) -> Response:
    form = Form(await request.form(), page.texts)
    account_id = page.user.user.account_id
    try:
        async with page.runtime.db.transaction() as tx:
            user = await passwords.set_password(
                page.runtime.ctx, tx, account_id, user_id, form.text("new_password"), page.user.actor
            )
    except DomainError as exc:
        async with page.runtime.db.reading() as tx:
            user = await users.get(tx, account_id, user_id)
        found = errors_from(exc, page.texts, page.zone)
        return await _person_page(
            page, user, errors=FormErrors([("new_password", m) for _, m in found.items]), status=422
        )
    return page.redirect(
        f"{HERE}/{user_id}",
        page.gettext("%(name)s can sign in with the new password.", name=user.display_name),
    )
