"""Webhook endpoints of the account: where signed events go, which events each receives, its
signing secret (shown once, when made or rotated), and a link to its deliveries."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from fastapi import Request, Response

from vilt.core.errors import DomainError
from vilt.core.webhooks import EVENT_TYPES
from vilt.services import webhook_endpoints as service
from vilt.services.webhook_endpoints import EndpointInput
from vilt.storage.models import WebhookEndpoint
from vilt.storage.repositories import webhooks as repo
from vilt.web.forms import Form, FormErrors, errors_from
from vilt.web.pages import AdminChange, AdminPage, Page
from vilt.web.routes.common import page_router

router = page_router()
HERE = "/admin/webhooks"


async def _webhooks_page(
    page: Page,
    *,
    errors: FormErrors | None = None,
    values: Mapping[str, object] | None = None,
    issued: tuple[WebhookEndpoint, str] | None = None,
    status: int = 200,
) -> Response:
    async with page.runtime.db.reading() as tx:
        endpoints = list((await tx.scalars(repo.listing(page.user.user.account_id))).all())
    return page.render(
        "admin/webhooks.html",
        status=status,
        endpoints=endpoints,
        event_types=list(EVENT_TYPES),
        errors=errors or FormErrors(),
        values=values or {"url": "", "description": "", "event_types": list(EVENT_TYPES)},
        issued=issued,
    )


@router.get(HERE)
async def webhooks_page(page: AdminPage) -> Response:
    return await _webhooks_page(page)


@router.post(HERE)
async def create_endpoint(page: AdminChange, request: Request) -> Response:
    form = Form(await request.form(), page.texts)
    data = EndpointInput(
        url=form.text("url"),
        description=form.text("description"),
        event_types=form.values("event_types"),
    )
    try:
        async with page.runtime.db.transaction() as tx:
            issued = await service.create(
                page.runtime.ctx, tx, page.user.user.account_id, data, page.user.actor
            )
    except DomainError as exc:
        values = {"url": data.url, "description": data.description, "event_types": data.event_types}
        return await _webhooks_page(
            page, errors=errors_from(exc, page.texts, page.zone), values=values, status=422
        )
    # the secret is stored encrypted and never shown again: this answer is its only display
    return await _webhooks_page(page, issued=issued, status=201)


@router.post(HERE + "/{endpoint_id}/rotate")
async def rotate_secret(page: AdminChange, endpoint_id: uuid.UUID) -> Response:
    try:
        async with page.runtime.db.transaction() as tx:
            issued = await service.rotate(
                page.runtime.ctx, tx, page.user.user.account_id, endpoint_id, page.user.actor
            )
    except DomainError as exc:
        return page.redirect(HERE, page.say(exc.detail), "error")
    return await _webhooks_page(page, issued=issued)


async def _set_active(page: Page, endpoint_id: uuid.UUID, active: bool) -> Response:
    try:
        async with page.runtime.db.transaction() as tx:
            await service.update(
                page.runtime.ctx,
                tx,
                page.user.user.account_id,
                endpoint_id,
                EndpointInput(active=active),
                page.user.actor,
            )
    except DomainError as exc:
        return page.redirect(HERE, page.say(exc.detail), "error")
    message = (
        page.gettext("The endpoint receives events again.")
        if active
        else page.gettext("The endpoint is paused: events for it are no longer made.")
    )
    return page.redirect(HERE, message)


@router.post(HERE + "/{endpoint_id}/enable")
async def enable(page: AdminChange, endpoint_id: uuid.UUID) -> Response:
    return await _set_active(page, endpoint_id, True)


@router.post(HERE + "/{endpoint_id}/disable")
async def disable(page: AdminChange, endpoint_id: uuid.UUID) -> Response:
    return await _set_active(page, endpoint_id, False)


@router.post(HERE + "/{endpoint_id}/delete")
async def delete(page: AdminChange, endpoint_id: uuid.UUID) -> Response:
    try:
        async with page.runtime.db.transaction() as tx:
            await service.delete(
                page.runtime.ctx, tx, page.user.user.account_id, endpoint_id, page.user.actor
            )
    except DomainError as exc:
        return page.redirect(HERE, page.say(exc.detail), "error")
    return page.redirect(HERE, page.gettext("The endpoint was deleted."))
