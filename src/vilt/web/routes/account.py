"""The account's policies and teams, API keys, and the log of outgoing deliveries."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Request, Response

from vilt.core.errors import DomainError
from vilt.services import accounts, deliveries
from vilt.services import integrations as integrations_service
from vilt.services.integrations import POLICIES_NON_ATTENDEE, IntegrationInput
from vilt.storage.repositories import accounts as accounts_repo
from vilt.storage.repositories import deliveries as deliveries_repo
from vilt.storage.repositories import integrations as integrations_repo
from vilt.storage.repositories import webhooks as webhooks_repo
from vilt.storage.repositories.paging import paginate
from vilt.web.forms import Form, FormErrors, errors_from
from vilt.web.pages import AdminChange, AdminPage, Page, options
from vilt.web.routes.common import page_router

router = page_router()


async def _account_page(page: Page, errors: FormErrors | None = None, status: int = 200) -> Response:
    account_id = page.user.user.account_id
    async with page.runtime.db.reading() as tx:
        account = await accounts_repo.get(tx, account_id)
        teams = await accounts_repo.teams(tx, account_id)
        rows = list((await tx.scalars(integrations_repo.listing(account_id))).all())
    return page.render(
        "admin/account.html",
        status=status,
        account=account,
        teams=teams,
        integrations=rows,
        policies=options(page, "non_attendee_policy", POLICIES_NON_ATTENDEE),
        errors=errors or FormErrors(),
    )


@router.get("/admin/account")
async def account_page(page: AdminPage) -> Response:
    return await _account_page(page)


@router.post("/admin/account/policies")
async def save_policies(page: AdminChange, request: Request) -> Response:
    form = Form(await request.form(), page.texts)
    account_id = page.user.user.account_id
    try:
        async with page.runtime.db.transaction() as tx:
            await accounts.set_one_webinar_service(
                page.runtime.ctx, tx, account_id, form.flag("one_webinar_service"), page.user.actor
            )
            for row in list((await tx.scalars(integrations_repo.listing(account_id))).all()):
                chosen = form.text(f"non_attendee_policy.{row.id}")
                if chosen and chosen != row.non_attendee_policy:
                    await integrations_service.update(
                        page.runtime.ctx,
                        tx,
                        account_id,
                        row.id,
                        IntegrationInput(non_attendee_policy=chosen),
                        page.user.actor,
                    )
    except DomainError as exc:
        return await _account_page(page, errors_from(exc, page.texts, page.zone), status=422)
    return page.redirect("/admin/account", page.gettext("The policies were saved."))


@router.post("/admin/account/teams")
async def create_team(page: AdminChange, request: Request) -> Response:
    form = Form(await request.form(), page.texts)
    try:
        async with page.runtime.db.transaction() as tx:
            await accounts.create_team(page.runtime.ctx, tx, page.user.user.account_id, form.text("name"))
    except DomainError as exc:
        errors = errors_from(exc, page.texts, page.zone)
        # the service names the team's field "name"; on this page it is the team form's
        return await _account_page(page, FormErrors([("team_name", m) for _, m in errors.items]), status=422)
    return page.redirect("/admin/account", page.gettext("The team was added."))


async def _keys_page(page: Page, *, issued: str | None = None, status: int = 200) -> Response:
    async with page.runtime.db.reading() as tx:
        keys = await accounts_repo.api_keys(tx, page.user.user.account_id)
    return page.render("admin/api_keys.html", status=status, keys=list(reversed(keys)), issued=issued)


@router.get("/admin/api-keys")
async def api_keys(page: AdminPage) -> Response:
    return await _keys_page(page)


@router.post("/admin/api-keys")
async def create_api_key(page: AdminChange, request: Request) -> Response:
    form = Form(await request.form(), page.texts)
    async with page.runtime.db.transaction() as tx:
        issued = await accounts.issue_api_key(
            page.runtime.ctx, tx, page.user.user.account_id, form.text("name") or "api key"
        )
    # shown once, on this answer only: it is stored as a hash and cannot be shown again
    return await _keys_page(page, issued=issued.token, status=201)


@router.post("/admin/api-keys/{key_id}/revoke")
async def revoke_api_key(page: AdminChange, key_id: uuid.UUID) -> Response:
    async with page.runtime.db.transaction() as tx:
        await accounts.revoke_api_key(page.runtime.ctx, tx, page.user.user.account_id, key_id)
    return page.redirect(
        "/admin/api-keys", page.gettext("The key was revoked; it stops working within a minute.")
    )


@router.get("/admin/deliveries")
async def deliveries_page(
    page: AdminPage,
    status: Annotated[str | None, Query()] = None,
    cursor: Annotated[str | None, Query()] = None,
    target: Annotated[uuid.UUID | None, Query()] = None,
) -> Response:
    """Every outgoing message, or those of one webhook endpoint (``target``)."""
    chosen = status if status in ("pending", "delivered", "failed") else None
    account_id = page.user.user.account_id
    async with page.runtime.db.reading() as tx:
        listing = deliveries_repo.listing(account_id, status=chosen, target=str(target) if target else None)
        found = await paginate(tx, listing, 50, cursor)
        endpoint = await webhooks_repo.get(tx, account_id, target) if target else None
    return page.render(
        "admin/deliveries.html",
        rows=found.items,
        next_cursor=found.next_cursor,
        chosen_status=chosen,
        target=target,
        endpoint=endpoint,
        statuses=options(page, "delivery_status", ("pending", "delivered", "failed")),
    )


@router.post("/admin/deliveries/{delivery_id}/replay")
async def replay(page: AdminChange, delivery_id: uuid.UUID) -> Response:
    async with page.runtime.db.transaction() as tx:
        await deliveries.replay(tx, page.user.user.account_id, delivery_id, page.runtime.clock.now())
    page.runtime.worker.wake.set()
    return page.redirect("/admin/deliveries", page.gettext("The delivery will be sent again."))
