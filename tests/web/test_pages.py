"""Forms and their errors, policies, and linking an existing meeting, over HTTP."""

from __future__ import annotations

import dataclasses
import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import BASE_URL, T0
from tests.web.conftest import Site
from vilt.core.errors import ValidationFailed
from vilt.providers import registry
from vilt.providers.base import Capability
from vilt.services import meeting_links
from vilt.services.context import SYSTEM
from vilt.storage.models import Account, Integration, Session


async def _integration(site: Site) -> str:
    created = await site.harness.bbb_integration(name="BBB")
    return str(created["id"])


async def test_event_form_shows_every_error_next_to_its_field(site: Site) -> None:
    integration_id = await _integration(site)
    client, csrf = await site.signed_in("instructor")
    form = {
        "csrf_token": csrf,
        "title": "x" * 300,
        "kind": "webinar",
        "starts_on": (T0 + timedelta(days=1)).date().isoformat(),
        "starts_time": "10:00",
        "time_zone": "Europe/Berlin",
        "hours": "24",
        "minutes": "0",
        "integration_id": integration_id,
    }
    refused = await client.post("/events", data=form)
    assert refused.status_code == 422
    assert "A title can have at most 255 characters (300 given)." in refused.text
    assert "A session lasts at most 23 h 59 min (1439 minutes)." in refused.text
    assert re.search(r'id="f-title" name="title"[^>]*aria-invalid="true"', refused.text)
    created = await client.post("/events", data={**form, "title": "Safety training", "hours": "1"})
    assert created.status_code == 303
    event_page = await client.get(created.headers["location"])
    assert "Synced with the provider" in event_page.text
    event_id = created.headers["location"].rsplit("/", 1)[1]
    alternative = await client.post(
        f"/events/{event_id}/sessions",
        data={**form, "session_title": "Evening", "hours": "1", "starts_time": "18:00"},
    )
    assert alternative.status_code == 303
    async with site.runtime.db.reading() as tx:
        sessions = (await tx.scalars(select(Session).where(Session.event_id == uuid.UUID(event_id)))).all()
    assert sorted(s.title for s in sessions) == ["Evening", "Safety training"]
    assert all(s.provider_ref for s in sessions)


async def test_integration_form_keeps_secrets_write_only(site: Site) -> None:
    integration_id = await _integration(site)
    client, csrf = await site.signed_in("admin")
    page = await client.get(f"/admin/integrations/{integration_id}")
    assert site.harness.bbb.secret not in page.text
    assert "A value is stored and never shown." in page.text
    kept = await client.post(
        f"/admin/integrations/{integration_id}",
        data={
            "csrf_token": csrf,
            "name": "Renamed",
            "active": "1",
            "settings.server_url": f"{BASE_URL}/sandbox/bigbluebutton/bigbluebutton/",
            "settings.secret": "",
            "settings.checksum_algorithm": "sha256",
            "learner_lead_minutes": "10",
            "instructor_lead_minutes": "30",
            "auto_end_minutes": "120",
            "non_attendee_policy": "failed",
            "walk_in_policy": "ignore",
        },
    )
    assert kept.status_code == 303, kept.text
    async with site.runtime.db.reading() as tx:
        row = await tx.get(Integration, uuid.UUID(integration_id))
    assert row is not None
    assert (row.name, row.learner_lead_minutes, row.non_attendee_policy) == ("Renamed", 10, "failed")
    assert site.runtime.ctx.secrets.decrypt(row.secrets)["secret"] == site.harness.bbb.secret
    checked = await client.post(
        f"/admin/integrations/{integration_id}/check",
        data={"csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert "Check passed: Connected." in checked.text


async def test_the_account_policy_one_webinar_service_is_saved(site: Site) -> None:
    client, csrf = await site.signed_in("admin")
    saved = await client.post(
        "/admin/account/policies", data={"csrf_token": csrf, "one_webinar_service": "1"}
    )
    assert saved.status_code == 303
    async with site.runtime.db.reading() as tx:
        account = await tx.get(Account, site.harness.account_id)
    assert account is not None
    assert account.one_webinar_service
    team = await client.post("/admin/account/teams", data={"csrf_token": csrf, "name": "Sales"})
    assert team.status_code == 303
    assert "Sales" in (await client.get("/admin/account")).text


async def _scheduled(site: Site, integration_id: str) -> str:
    event = (await site.harness.post("/api/v1/events", {"title": "Linked"})).json()
    session = await site.harness.post(
        f"/api/v1/events/{event['id']}/sessions",
        {
            "starts_at": (T0 + timedelta(days=2)).isoformat(),
            "duration_minutes": 60,
            "integration_id": integration_id,
        },
    )
    return str(session.json()["id"])


async def test_linking_an_existing_meeting_follows_the_providers_capability(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    integration_id = await _integration(site)
    session_id = await _scheduled(site, integration_id)
    client, csrf = await site.signed_in("instructor")
    page = await client.get(f"/sessions/{session_id}")
    assert "BigBlueButton meetings exist only while they run" in page.text  # declared, not offered
    refused = await client.post(
        f"/sessions/{session_id}/link-meeting", data={"csrf_token": csrf, "provider_ref": "123"}
    )
    assert refused.status_code == 422
    info, factory = registry.ADAPTERS["bigbluebutton"]
    linkable = dataclasses.replace(info, capabilities=info.capabilities | {Capability.LINK_EXISTING})
    monkeypatch.setitem(registry.ADAPTERS, "bigbluebutton", (linkable, factory))
    async with site.runtime.db.transaction() as tx:
        with pytest.raises(ValidationFailed):
            await meeting_links.link_existing(
                site.runtime.ctx, tx, site.harness.account_id, uuid.UUID(session_id), " ", SYSTEM
            )
    linked = await client.post(
        f"/sessions/{session_id}/link-meeting", data={"csrf_token": csrf, "provider_ref": " 8812-4471 "}
    )
    assert linked.status_code == 303
    async with site.runtime.db.reading() as tx:
        session = await tx.get(Session, uuid.UUID(session_id))
    assert session is not None
    assert (session.provider_ref, session.sync_state) == ("8812-4471", "synced")
    assert session.stale_meetings  # the meeting Vilt had created is deleted by the worker
    other = await _scheduled(site, integration_id)
    taken = await client.post(
        f"/sessions/{other}/link-meeting", data={"csrf_token": csrf, "provider_ref": "8812-4471"}
    )
    assert taken.status_code == 422
    assert re.search(r"That meeting is linked to the session &#39;Linked&#39; already", taken.text)
