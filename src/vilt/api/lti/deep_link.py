"""The Deep Linking picker: pick an event or create one with its first session; the answer
goes back to the LMS as a signed JWT, auto-posted to its return URL."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Request, Response

from vilt.api.deps import RuntimeDep
from vilt.api.lti.pages import autopost, error_page, render, texts_of, user_of, zone_of
from vilt.api.lti.texts import detail_of
from vilt.core.errors import DomainError, ErrorList, ValidationFailed
from vilt.i18n import N_
from vilt.services.lti import deep_linking, tickets
from vilt.services.lti.deep_linking import NewEvent
from vilt.services.provider_hub import provider_info
from vilt.storage.repositories import integrations as integrations_repo
from vilt.storage.repositories import lti as repo

router = APIRouter(tags=["lti"])


async def _picker(
    runtime: RuntimeDep, request: Request, token: str, error: DomainError | None = None
) -> Response:
    signed = await user_of(runtime, request)
    async with runtime.db.reading() as tx:
        ticket = await tickets.peek(runtime.ctx, tx, "deeplink", token)
        events = await repo.events_for_picker(tx, signed.user.account_id)
        integrations = [
            i for i in (await tx.scalars(integrations_repo.listing(signed.user.account_id))).all() if i.active
        ]
    texts = texts_of(request, signed)
    return render(
        "deep_link.html",
        texts,
        400 if error else 200,
        csrf=signed.session.csrf_token,
        events=events,
        integrations=integrations,
        provider_title=lambda kind: provider_info(kind).title,
        time_zone=signed.user.time_zone,
        context_title=ticket.data.get("context_title"),
        error=detail_of(error, texts, zone_of(signed)) if error else None,
    )


@router.get("/lti/deep-link/{token}")
async def picker(token: str, request: Request, runtime: RuntimeDep) -> Response:
    try:
        return await _picker(runtime, request, token)
    except DomainError as exc:
        return await error_page(exc, request, runtime)


def _new_event(form: dict[str, str]) -> NewEvent:
    errors = ErrorList()
    title = form.get("title", "").strip()
    if not title:
        errors.add("title", "Give the new event a title, or pick an existing event.")
    zone = form.get("time_zone", "UTC").strip() or "UTC"
    starts_at = None
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.add("time_zone", f"'{zone}' is not a known IANA time zone.")
        tz = ZoneInfo("UTC")
    if form.get("starts_at"):
        try:
            starts_at = datetime.fromisoformat(form["starts_at"]).replace(tzinfo=tz)
        except ValueError:
            errors.add("starts_at", "Give the start as a date and time.")
    duration = form.get("duration_minutes", "").strip()
    if duration and not duration.isdigit():
        errors.add("duration_minutes", "Give the duration in whole minutes.")
    integration = form.get("integration_id") or None
    integration_id = None
    if integration:
        try:
            integration_id = uuid.UUID(integration)
        except ValueError:
            errors.add("integration_id", "Choose a virtual classroom from the list.")
    errors.raise_if_any()
    return NewEvent(title, starts_at, zone, int(duration) if duration else None, integration_id)


@router.post("/lti/deep-link/{token}")
async def choose(token: str, request: Request, runtime: RuntimeDep) -> Response:
    try:
        signed = await user_of(runtime, request, csrf=True)
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        try:
            event_id = uuid.UUID(form["event_id"]) if form.get("event_id") else None
            new = None if event_id else _new_event(form)
            maximum = int(form.get("score_maximum") or 100)
            async with runtime.db.transaction() as tx:
                answer = await deep_linking.respond(
                    runtime.ctx, tx, token, signed.user, event_id=event_id, new=new, score_maximum=maximum
                )
        except ValidationFailed as exc:
            return await _picker(runtime, request, token, error=exc)
        except ValueError:
            invalid = ValidationFailed.one("event_id", "The event or the score is not valid.")
            return await _picker(runtime, request, token, error=invalid)
    except DomainError as exc:
        return await error_page(exc, request, runtime)
    runtime.worker.wake.set()
    return autopost(
        answer.return_url, {"JWT": answer.jwt}, N_("Returning to the course"), texts_of(request, signed)
    )
