"""Integrations: checked before saved, secrets write-only, one provider account per integration,
account policies, clear problem+json errors."""

from __future__ import annotations

import logging

import pytest

from tests.conftest import BASE_URL, Harness

SERVER = f"{BASE_URL}/sandbox/bigbluebutton/bigbluebutton/"


async def test_provider_list_describes_settings_and_capabilities(harness: Harness) -> None:
    providers = (await harness.get("/api/v1/providers")).json()
    bbb = next(p for p in providers if p["kind"] == "bigbluebutton")
    assert bbb["secret_fields"] == ["secret"]
    assert bbb["settings_schema"]["properties"]["secret"]["writeOnly"] is True
    assert "local_join_url" in bbb["capabilities"]
    assert "update" in bbb["unsupported"]
    assert (await harness.get("/api/v1/providers/nope")).status_code == 404


async def test_secrets_are_never_returned(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    created = await harness.bbb_integration()
    assert created["settings"] == {"server_url": SERVER, "checksum_algorithm": "sha256"}
    assert created["secrets_set"] == ["secret"]
    for path in ("/api/v1/integrations", f"/api/v1/integrations/{created['id']}"):
        assert harness.bbb.secret not in (await harness.get(path)).text
    check = await harness.post(f"/api/v1/integrations/{created['id']}/check")
    assert harness.bbb.secret not in check.text
    assert harness.bbb.secret not in caplog.text


async def test_bad_secret_is_refused_before_saving_with_the_field_and_reason(harness: Harness) -> None:
    response = await harness.post(
        "/api/v1/integrations",
        {
            "kind": "bigbluebutton",
            "name": "BBB",
            "settings": {"server_url": SERVER, "secret": "wrong-secret"},
        },
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["errors"][0]["field"] == "settings.secret"
    assert "shared secret is wrong" in problem["errors"][0]["reason"]
    assert "wrong-secret" not in response.text
    assert (await harness.get("/api/v1/integrations")).json()["items"] == []


async def test_server_that_is_not_bigbluebutton_is_named(harness: Harness) -> None:
    response = await harness.post(
        "/api/v1/integrations",
        {
            "kind": "bigbluebutton",
            "name": "Not BBB",
            "settings": {"server_url": f"{BASE_URL}/", "secret": "x"},
        },
    )
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "settings.server_url"


async def test_missing_and_malformed_settings_name_each_field(harness: Harness) -> None:
    response = await harness.post(
        "/api/v1/integrations",
        {
            "kind": "bigbluebutton",
            "name": "BBB",
            "settings": {"server_url": "ftp://x", "checksum_algorithm": "md5"},
        },
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"settings.server_url", "settings.secret", "settings.checksum_algorithm"}
    unknown = await harness.post("/api/v1/integrations", {"kind": "webex", "name": "W", "settings": {}})
    assert unknown.json()["errors"][0]["field"] == "kind"


async def test_one_provider_account_links_to_one_integration_only(harness: Harness) -> None:
    await harness.bbb_integration()
    again = await harness.post(
        "/api/v1/integrations",
        {
            "kind": "bigbluebutton",
            "name": "BBB again",
            "settings": {"server_url": SERVER.rstrip("/") + "/api", "secret": harness.bbb.secret},
        },
    )
    assert again.status_code == 409
    assert "already linked" in again.json()["detail"]


async def test_secret_left_out_of_an_update_keeps_its_value_and_a_change_is_checked(harness: Harness) -> None:
    created = await harness.bbb_integration()
    renamed = await harness.patch(
        f"/api/v1/integrations/{created['id']}",
        {"name": "Main BBB", "settings": {"checksum_algorithm": "sha512"}},
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["settings"]["checksum_algorithm"] == "sha512"
    bad = await harness.patch(f"/api/v1/integrations/{created['id']}", {"settings": {"secret": "nope"}})
    assert bad.status_code == 422
    assert (await harness.post(f"/api/v1/integrations/{created['id']}/check")).json()["ok"] is True


async def test_integration_in_use_cannot_be_deleted_only_deactivated(harness: Harness) -> None:
    integration = await harness.bbb_integration()
    event = (await harness.post("/api/v1/events", {"title": "E"})).json()
    await harness.post(
        f"/api/v1/events/{event['id']}/sessions",
        {"starts_at": "2026-03-03T10:00:00Z", "duration_minutes": 30, "integration_id": integration["id"]},
    )
    refused = await harness.delete(f"/api/v1/integrations/{integration['id']}")
    assert refused.status_code == 409
    assert "deactivate" in refused.json()["detail"]
    off = await harness.patch(f"/api/v1/integrations/{integration['id']}", {"active": False})
    assert off.json()["active"] is False
    other = (await harness.post("/api/v1/events", {"title": "F"})).json()
    inactive = await harness.post(
        f"/api/v1/events/{other['id']}/sessions",
        {"starts_at": "2026-03-03T10:00:00Z", "duration_minutes": 30, "integration_id": integration["id"]},
    )
    assert inactive.status_code == 422
    assert inactive.json()["errors"][0]["field"] == "integration_id"


async def test_unused_integration_can_be_deleted(harness: Harness) -> None:
    integration = await harness.bbb_integration()
    assert (await harness.delete(f"/api/v1/integrations/{integration['id']}")).status_code == 204
    assert (await harness.get(f"/api/v1/integrations/{integration['id']}")).status_code == 404


async def test_other_accounts_never_see_an_integration(harness: Harness) -> None:
    from vilt.services import accounts

    integration = await harness.bbb_integration()
    async with harness.runtime.db.transaction() as tx:
        other = await accounts.create_account(harness.runtime.ctx, tx, "Other")
        key = await accounts.issue_api_key(harness.runtime.ctx, tx, other.id, "other")
    headers = {"Authorization": f"Bearer {key.token}"}
    assert (
        await harness.client.get(f"/api/v1/integrations/{integration['id']}", headers=headers)
    ).status_code == 404
    assert (await harness.client.get("/api/v1/integrations", headers=headers)).json()["items"] == []


async def test_integration_limited_to_some_teams_refuses_other_teams_events(harness: Harness) -> None:
    owners = (await harness.post("/api/v1/teams", {"name": "Sales academy"})).json()
    others = (await harness.post("/api/v1/teams", {"name": "Engineering"})).json()
    assert (await harness.post("/api/v1/teams", {"name": "Engineering"})).status_code == 409
    integration = await harness.bbb_integration(owner_team_id=owners["id"], available_team_ids=[owners["id"]])
    allowed = (
        await harness.post("/api/v1/events", {"title": "Pitching", "owner_team_id": owners["id"]})
    ).json()
    refused = (
        await harness.post("/api/v1/events", {"title": "Kubernetes", "owner_team_id": others["id"]})
    ).json()
    body = {"starts_at": "2026-03-03T10:00:00Z", "duration_minutes": 30, "integration_id": integration["id"]}
    assert (await harness.post(f"/api/v1/events/{allowed['id']}/sessions", body)).status_code == 201
    response = await harness.post(f"/api/v1/events/{refused['id']}/sessions", body)
    assert response.status_code == 422
    assert "not available to this event's team" in response.json()["errors"][0]["reason"]


async def test_one_webinar_service_at_a_time_policy(harness: Harness) -> None:
    from sqlalchemy import update

    from tests.conftest import T0
    from vilt.storage.models import Account, Integration

    first = await harness.bbb_integration()
    async with harness.runtime.db.transaction() as tx:
        await tx.execute(
            update(Account).where(Account.id == harness.account_id).values(one_webinar_service=True)
        )
        # another provider kind already active in this account
        tx.add(
            Integration(
                account_id=harness.account_id,
                kind="teams",
                name="Teams",
                active=True,
                account_key="tenant-1",
                settings={},
                secrets="",
                created_at=T0,
                updated_at=T0,
            )
        )
    await harness.patch(f"/api/v1/integrations/{first['id']}", {"active": False})
    refused = await harness.patch(f"/api/v1/integrations/{first['id']}", {"active": True})
    assert refused.status_code == 409
    assert "deactivate teams" in refused.json()["detail"]


async def test_unknown_teams_are_named_not_a_server_error(harness: Harness) -> None:
    integration = await harness.bbb_integration()
    response = await harness.patch(
        f"/api/v1/integrations/{integration['id']}",
        {
            "owner_team_id": "e3e70682-c209-1cac-a29f-6fbed82c07cd",
            "available_team_ids": ["e3e70682-c209-1cac-a29f-6fbed82c07cd"],
        },
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"owner_team_id", "available_team_ids.0"}
