"""Administrators link provider accounts: the list with connection states and alerts, forms
generated from each provider's settings schema, Check, Link, activate and deactivate."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Query, Request, Response
from fastapi.responses import RedirectResponse

from vilt.core.errors import DomainError
from vilt.providers import registry
from vilt.providers.base import Capability, CheckResult
from vilt.services import integrations as service
from vilt.services import oauth_links
from vilt.services.integrations import POLICIES_NON_ATTENDEE, POLICIES_WALK_IN, IntegrationInput
from vilt.services.provider_hub import provider_info
from vilt.storage.models import Integration
from vilt.storage.repositories import accounts as accounts_repo
from vilt.storage.repositories import integrations as repo
from vilt.web.forms import Form, FormErrors, errors_from
from vilt.web.pages import AdminChange, AdminPage, Page, local_path, options
from vilt.web.routes.common import page_router
from vilt.web.schema_form import setting_fields, settings_from_form

router = page_router()

NUMBERS = ("max_learners", "learner_lead_minutes", "instructor_lead_minutes", "auto_end_minutes")


def _kinds() -> list[tuple[str, str]]:
    return [(kind, registry.info(kind).title) for kind in registry.kinds()]


def _needs_attention(row: Integration) -> bool:
    return row.connection_state in ("needs_reauth", "error")


async def _teams(page: Page) -> list[tuple[str, str]]:
    async with page.runtime.db.reading() as tx:
        return [(str(t.id), t.name) for t in await accounts_repo.teams(tx, page.user.user.account_id)]


@router.get("/admin/integrations")
async def integrations_list(page: AdminPage) -> Response:
    async with page.runtime.db.reading() as tx:
        rows = list((await tx.scalars(repo.listing(page.user.user.account_id))).all())
    return page.render(
        "admin/integrations.html",
        rows=rows,
        alerts=[r for r in rows if _needs_attention(r)],
        info=provider_info,
    )


def _form_values(integration: Integration | None, kind: str) -> dict[str, Any]:
    if integration is None:
        defaults = {f.name: f.default for f in setting_fields(kind) if f.default is not None}
        return {
            "kind": kind,
            "name": "",
            "active": True,
            "settings": defaults,
            "learner_lead_minutes": 15,
            "instructor_lead_minutes": 30,
            "auto_end_minutes": 120,
            "non_attendee_policy": "unchanged",
            "walk_in_policy": "ignore",
            "available_team_ids": [],
            "tags": "",
        }
    return {
        "kind": integration.kind,
        "name": integration.name,
        "active": integration.active,
        "settings": dict(integration.settings),
        "max_learners": integration.max_learners,
        "learner_lead_minutes": integration.learner_lead_minutes,
        "instructor_lead_minutes": integration.instructor_lead_minutes,
        "auto_end_minutes": integration.auto_end_minutes,
        "provider_notifications": integration.provider_notifications,
        "non_attendee_policy": integration.non_attendee_policy,
        "walk_in_policy": integration.walk_in_policy,
        "info_url": integration.info_url,
        "description": integration.description,
        "tags": ", ".join(integration.tags),
        "owner_team_id": str(integration.owner_team_id) if integration.owner_team_id else "",
        "available_team_ids": list(integration.available_team_ids),
        "egress_proxy_url": integration.egress_proxy_url,
    }


def _values_from(form: Form, kind: str) -> dict[str, Any]:
    """What was typed, to show again beside the errors (never a secret)."""
    secret = {f.name for f in setting_fields(kind) if f.secret}
    settings: dict[str, Any] = {
        f.name: form.text(f.form_name)
        for f in setting_fields(kind)
        if f.name not in secret and f.widget != "checkbox"
    }
    settings.update({f.name: form.flag(f.form_name) for f in setting_fields(kind) if f.widget == "checkbox"})
    values: dict[str, Any] = {name: form.text(name) for name in (*NUMBERS, "name", "info_url", "description")}
    values.update(
        kind=kind,
        active=form.flag("active"),
        settings=settings,
        provider_notifications=form.flag("provider_notifications"),
        non_attendee_policy=form.text("non_attendee_policy"),
        walk_in_policy=form.text("walk_in_policy"),
        tags=form.text("tags"),
        owner_team_id=form.text("owner_team_id"),
        available_team_ids=form.values("available_team_ids"),
        egress_proxy_url=form.text("egress_proxy_url"),
    )
    return values


async def _render_form(
    page: Page,
    *,
    kind: str,
    values: dict[str, Any],
    errors: FormErrors | None = None,
    integration: Integration | None = None,
    status: int = 200,
) -> Response:
    stored_secrets = service.secrets_set(page.runtime.ctx, integration) if integration else []
    return page.render(
        "admin/integration_form.html",
        status=status,
        kind=kind,
        kinds=_kinds(),
        info=provider_info(kind),
        fields=setting_fields(kind),
        values=values,
        errors=errors or FormErrors(),
        integration=integration,
        stored_secrets=stored_secrets,
        teams=await _teams(page),
        non_attendee_policies=options(page, "non_attendee_policy", POLICIES_NON_ATTENDEE),
        walk_in_policies=options(page, "walk_in_policy", POLICIES_WALK_IN),
        oauth=_links_by_consent(page, kind, integration),
        simulator=_simulator_settings(page, kind) if integration is None else None,
    )


def _links_by_consent(page: Page, kind: str, integration: Integration | None) -> bool:
    """Teams in application mode is checked like any other provider; in delegated mode it is
    linked by a sign-in. Before saving, the provider's capability is the best guess."""
    if integration is None:
        return Capability.OAUTH_LINK in provider_info(kind).capabilities
    return service.by_consent(kind, page.runtime.ctx.providers.settings_of(integration))


def _simulator_settings(page: Page, kind: str) -> dict[str, str] | None:
    """In sandbox mode, what to type to use this deployment's own simulator of ``kind``."""
    simulator = page.runtime.simulators.get(kind)
    return simulator.integration_settings() if simulator is not None else None


@router.get("/admin/integrations/new")
async def new_integration(page: AdminPage, kind: Annotated[str | None, Query()] = None) -> Response:
    chosen = kind if kind in registry.ADAPTERS else registry.kinds()[0]
    if page.htmx:
        return page.render(
            "admin/_settings_fields.html",
            fields=setting_fields(chosen),
            values={"settings": _form_values(None, chosen)["settings"]},
            errors=FormErrors(),
            stored_secrets=[],
            info=provider_info(chosen),
            simulator=_simulator_settings(page, chosen),
        )
    return await _render_form(page, kind=chosen, values=_form_values(None, chosen))


def _input(form: Form, kind: str, *, editing: bool) -> IntegrationInput:
    numbers = {name: form.integer(name) for name in NUMBERS}
    raw: dict[str, list[str]] = {key: [str(v) for v in form.data.getlist(key)] for key in form.data}
    tags = [t.strip() for t in form.text("tags").split(",") if t.strip()]
    return IntegrationInput(
        kind=None if editing else kind,
        name=form.text("name"),
        settings=settings_from_form(kind, raw, editing=editing),
        active=form.flag("active"),
        provider_notifications=form.flag("provider_notifications"),
        non_attendee_policy=form.text("non_attendee_policy") or None,
        walk_in_policy=form.text("walk_in_policy") or None,
        info_url=form.optional_text("info_url"),
        description=form.text("description"),
        tags=tags,
        owner_team_id=form.identifier("owner_team_id"),
        available_team_ids=form.identifiers("available_team_ids"),
        egress_proxy_url=form.optional_text("egress_proxy_url"),
        provided=frozenset({"max_learners", "info_url", "owner_team_id", "egress_proxy_url"}),
        **numbers,
    )


@router.post("/admin/integrations")
async def create_integration(page: AdminChange, request: Request) -> Response:
    form = Form(await request.form(), page.texts)
    kind = form.text("kind")
    if kind not in registry.ADAPTERS:
        kind = registry.kinds()[0]
    if form.text("show") == "1":  # "Show settings for this provider" without JavaScript
        return page.redirect(f"/admin/integrations/new?kind={kind}")
    data = _input(form, kind, editing=False)
    errors = form.errors
    if not errors:
        try:
            async with page.runtime.db.transaction() as tx:
                created = await service.create(
                    page.runtime.ctx, tx, page.user.user.account_id, data, page.user.actor
                )
                created_id, state = created.id, created.connection_state
        except DomainError as exc:
            errors = errors_from(exc, page.texts, page.zone)
    if errors:
        return await _render_form(page, kind=kind, values=_values_from(form, kind), errors=errors, status=422)
    message = (
        page.gettext("The integration was created and its connection checked.")
        if state == "linked"
        else page.gettext("The integration was created. Link it to the provider account next.")
    )
    return page.redirect(f"/admin/integrations/{created_id}", message)


async def _integration(page: Page, integration_id: uuid.UUID) -> Integration:
    async with page.runtime.db.reading() as tx:
        return await service.get(tx, page.user.user.account_id, integration_id)


@router.get("/admin/integrations/{integration_id}")
async def integration_page(page: AdminPage, integration_id: uuid.UUID) -> Response:
    integration = await _integration(page, integration_id)
    return await _render_form(
        page,
        kind=integration.kind,
        values=_form_values(integration, integration.kind),
        integration=integration,
    )


@router.post("/admin/integrations/{integration_id}")
async def update_integration(page: AdminChange, integration_id: uuid.UUID, request: Request) -> Response:
    integration = await _integration(page, integration_id)
    form = Form(await request.form(), page.texts)
    data = _input(form, integration.kind, editing=True)
    errors = form.errors
    if not errors:
        try:
            async with page.runtime.db.transaction() as tx:
                await service.update(
                    page.runtime.ctx, tx, page.user.user.account_id, integration_id, data, page.user.actor
                )
        except DomainError as exc:
            errors = errors_from(exc, page.texts, page.zone)
    if errors:
        integration = await _integration(page, integration_id)
        return await _render_form(
            page,
            kind=integration.kind,
            values=_values_from(form, integration.kind),
            errors=errors,
            integration=integration,
            status=422,
        )
    return page.redirect(f"/admin/integrations/{integration_id}", page.gettext("Saved."))


def _check_message(page: Page, result: CheckResult, kind: str) -> str:
    if result.ok:
        label = f" {result.account_label}" if result.account_label else ""
        return page.gettext("Check passed: %(reason)s", reason=page.say(result.reason)) + label
    setting = next((f.title for f in setting_fields(kind) if f.name == result.field), None)
    reason = page.say(result.reason)
    if setting:
        return page.gettext(
            "Check failed: %(reason)s (setting: %(setting)s)", reason=reason, setting=page.gettext(setting)
        )
    return page.gettext("Check failed: %(reason)s", reason=reason)


@router.post("/admin/integrations/{integration_id}/check")
async def check_integration(page: AdminChange, integration_id: uuid.UUID, request: Request) -> Response:
    async with page.runtime.db.transaction() as tx:
        row, result = await service.check(page.runtime.ctx, tx, page.user.user.account_id, integration_id)
        kind = row.kind
    message = _check_message(page, result, kind)
    if page.htmx:
        async with page.runtime.db.reading() as tx:
            row = await service.get(tx, page.user.user.account_id, integration_id)
        return page.render("admin/_check_result.html", row=row, ok=result.ok, message=message)
    back = local_path(str((await request.form()).get("back") or ""), "")
    return page.redirect(
        back or f"/admin/integrations/{integration_id}", message, "ok" if result.ok else "error"
    )


async def _set_active(page: Page, integration_id: uuid.UUID, active: bool) -> Response:
    try:
        async with page.runtime.db.transaction() as tx:
            await service.update(
                page.runtime.ctx,
                tx,
                page.user.user.account_id,
                integration_id,
                IntegrationInput(active=active),
                page.user.actor,
            )
    except DomainError as exc:
        return page.redirect(f"/admin/integrations/{integration_id}", page.say(exc.detail), "error")
    message = (
        page.gettext("The integration is active.") if active else page.gettext("The integration is inactive.")
    )
    return page.redirect(f"/admin/integrations/{integration_id}", message)


@router.post("/admin/integrations/{integration_id}/activate")
async def activate(page: AdminChange, integration_id: uuid.UUID) -> Response:
    return await _set_active(page, integration_id, True)


@router.post("/admin/integrations/{integration_id}/deactivate")
async def deactivate(page: AdminChange, integration_id: uuid.UUID) -> Response:
    return await _set_active(page, integration_id, False)


@router.post("/admin/integrations/{integration_id}/link")
async def link(page: AdminChange, integration_id: uuid.UUID) -> Response:
    """ "Link account" / "Sign in to Microsoft": off to the provider's consent page; the provider
    brings the browser back to ``/api/v1/oauth/callback``, which finishes the link."""
    try:
        async with page.runtime.db.reading() as tx:
            started = await oauth_links.start(page.runtime.ctx, tx, page.user.user.account_id, integration_id)
    except DomainError as exc:
        return page.redirect(f"/admin/integrations/{integration_id}", page.say(exc.detail), "error")
    return RedirectResponse(started.authorize_url, status_code=303)


@router.post("/admin/integrations/{integration_id}/delete")
async def delete(page: AdminChange, integration_id: uuid.UUID) -> Response:
    try:
        async with page.runtime.db.transaction() as tx:
            await service.delete(
                page.runtime.ctx, tx, page.user.user.account_id, integration_id, page.user.actor
            )
    except DomainError as exc:
        return page.redirect(f"/admin/integrations/{integration_id}", page.say(exc.detail), "error")
    return page.redirect("/admin/integrations", page.gettext("The integration was deleted."))
