"""Microsoft Teams through the whole service, on SQLite and PostgreSQL: "Sign in to Microsoft"
(link, consent page, callback) with the grant kept encrypted, "configuration was changed",
application mode checked before saving, and non-attendees failed by default."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.api.provider_setups import sign_in_to_microsoft, sim_post, teams_integration, teams_sim
from tests.conftest import T0, Harness
from vilt.services.provider_state import GRANT_PREFIX
from vilt.storage.repositories import integrations as integrations_repo

STARTS = T0 + timedelta(hours=1)


async def stored_secrets(harness: Harness, integration_id: str) -> tuple[str, dict[str, str]]:
    async with harness.runtime.db.reading() as tx:
        row = await integrations_repo.by_id(tx, uuid.UUID(integration_id))
    assert row is not None
    return row.secrets, harness.runtime.ctx.secrets.decrypt(row.secrets)


async def test_sign_in_to_microsoft_links_the_integration_and_shows_who_signed_in(harness: Harness) -> None:
    teams_sim(harness).state.add_user("irene@example.com", "Irene Instructor")
    created = await teams_integration(harness)
    assert created["connection"]["state"] == "not_linked"  # nothing to check before the sign-in
    assert created["non_attendee_policy"] == "failed"  # the Teams default: non-attendees failed
    assert teams_sim(harness).calls == []

    page = await sign_in_to_microsoft(harness, created["id"], "irene@example.com")
    assert page.status_code == 200
    assert "Signed in as Irene Instructor (irene@example.com)" in page.text
    linked = (await harness.get(f"/api/v1/integrations/{created['id']}")).json()
    assert linked["connection"]["state"] == "linked"
    assert linked["connection"]["account_label"] == "Irene Instructor (irene@example.com)"
    assert linked["secrets_set"] == ["client_secret"]  # the grant is not a setting, and never shown
    raw, secrets = await stored_secrets(harness, created["id"])
    refresh = secrets[f"{GRANT_PREFIX}refresh_token"]
    assert refresh not in raw  # encrypted at rest
    assert refresh not in str(linked)
    check = await harness.post(f"/api/v1/integrations/{created['id']}/check")
    assert check.json()["ok"] is True


async def test_changing_the_app_settings_afterwards_needs_a_new_sign_in(harness: Harness) -> None:
    teams_sim(harness).state.add_user("irene@example.com", "Irene Instructor")
    created = await teams_integration(harness)
    await sign_in_to_microsoft(harness, created["id"], "irene@example.com")
    kept = await harness.patch(
        f"/api/v1/integrations/{created['id']}", {"settings": {"attendance_sync": False}}
    )
    assert kept.json()["connection"]["state"] == "linked"  # not a setting the sign-in was for
    changed = await harness.patch(
        f"/api/v1/integrations/{created['id']}", {"settings": {"client_secret": "a-new-secret-value"}}
    )
    assert changed.status_code == 200
    assert changed.json()["connection"]["state"] == "needs_reauth"
    assert changed.json()["connection"]["reason"] == "Configuration was changed; sign in again."
    _, secrets = await stored_secrets(harness, created["id"])
    assert not any(k.startswith(GRANT_PREFIX) for k in secrets)  # the old sign-in is void
    checked = (await harness.post(f"/api/v1/integrations/{created['id']}/check")).json()
    assert (checked["ok"], checked["integration"]["connection"]["state"]) == (False, "needs_reauth")
    assert checked["integration"]["connection"]["reason"] == "Configuration was changed; sign in again."
    # the secret is put back and the administrator signs in again
    await harness.patch(
        f"/api/v1/integrations/{created['id']}",
        {"settings": {"client_secret": teams_sim(harness).client_secret}},
    )
    page = await sign_in_to_microsoft(harness, created["id"], "irene@example.com")
    assert page.status_code == 200
    assert (await harness.get(f"/api/v1/integrations/{created['id']}")).json()["connection"][
        "state"
    ] == "linked"


async def test_a_refused_consent_leaves_the_integration_unlinked_and_says_why(harness: Harness) -> None:
    created = await teams_integration(harness)
    page = await sign_in_to_microsoft(harness, created["id"], "ada@teams.sim.test", deny=True)
    assert page.status_code == 400
    assert "the sign-in was canceled" in page.text
    assert (await harness.get(f"/api/v1/integrations/{created['id']}")).json()["connection"][
        "state"
    ] == "not_linked"


async def test_the_callback_refuses_a_forged_stale_or_outdated_state(harness: Harness) -> None:
    created = await teams_integration(harness)
    forged = await harness.client.get("/api/v1/oauth/callback", params={"code": "c", "state": "made-up"})
    assert forged.status_code == 422
    assert "not started by Vilt" in forged.text

    started = (await harness.post(f"/api/v1/integrations/{created['id']}/link")).json()
    state = parse_qs(urlsplit(started["authorize_url"]).query)["state"][0]
    await harness.advance(16 * 60)
    stale = await harness.client.get("/api/v1/oauth/callback", params={"code": "c", "state": state})
    assert stale.status_code == 422
    assert "took too long" in stale.text

    started = (await harness.post(f"/api/v1/integrations/{created['id']}/link")).json()
    state = parse_qs(urlsplit(started["authorize_url"]).query)["state"][0]
    await harness.patch(
        f"/api/v1/integrations/{created['id']}", {"settings": {"tenant_id": "another-tenant"}}
    )
    outdated = await harness.client.get("/api/v1/oauth/callback", params={"code": "c", "state": state})
    assert outdated.status_code == 409
    assert "changed while signing in" in outdated.text


async def test_only_delegated_mode_links_through_a_consent_page(harness: Harness) -> None:
    bbb = await harness.bbb_integration()
    assert (await harness.post(f"/api/v1/integrations/{bbb['id']}/link")).status_code == 409
    app = await teams_integration(harness, "application")
    refused = await harness.post(f"/api/v1/integrations/{app['id']}/link")
    assert refused.status_code == 409
    assert "use check instead" in refused.json()["detail"]


async def test_application_mode_is_checked_before_saving_and_the_missing_policy_is_explained(
    harness: Harness,
) -> None:
    await sim_post(harness, "teams", "/policy", {"granted": False})
    sim = teams_sim(harness)
    refused = await harness.post(
        "/api/v1/integrations",
        {
            "kind": "teams",
            "name": "Teams",
            "settings": {**sim.integration_settings(), "auth_mode": "application"},
        },
    )
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert error["field"] == "settings.client_id"
    assert "New-CsApplicationAccessPolicy" in error["reason"]
    await sim_post(harness, "teams", "/policy", {"granted": True})
    created = await teams_integration(harness, "application")
    assert created["connection"]["state"] == "linked"


async def test_a_rotated_refresh_token_is_stored_encrypted_for_the_next_worker(harness: Harness) -> None:
    teams_sim(harness).state.add_user("irene@example.com", "Irene Instructor")
    created = await teams_integration(harness)
    await sign_in_to_microsoft(harness, created["id"], "irene@example.com")
    _, before = await stored_secrets(harness, created["id"])
    await harness.advance(2 * 3600)  # the access token from the sign-in ran out
    session = await teams_session(harness, created)
    assert session["provider"]["state"] == "synced"
    raw, after = await stored_secrets(harness, created["id"])
    assert after[f"{GRANT_PREFIX}refresh_token"] != before[f"{GRANT_PREFIX}refresh_token"]
    assert after[f"{GRANT_PREFIX}refresh_token"] not in raw
    assert after["client_secret"] == teams_sim(harness).client_secret  # the settings are untouched


async def teams_session(harness: Harness, integration: dict[str, Any], **extra: Any) -> dict[str, Any]:
    instructor = await harness.user("irene@example.com", "Irene Instructor", roles=["instructor"])
    event = (await harness.post("/api/v1/events", {"title": "Teams class", "kind": "webinar"})).json()
    created = await harness.post(
        f"/api/v1/events/{event['id']}/sessions",
        {
            "starts_at": (harness.clock.now() + timedelta(hours=1)).isoformat(),
            "duration_minutes": 60,
            "integration_id": integration["id"],
            "instructor_ids": [instructor["id"]],
            **extra,
        },
    )
    assert created.status_code == 201, created.text
    result: dict[str, Any] = created.json()
    return result


async def test_attendees_complete_and_enrolled_non_attendees_fail(harness: Harness) -> None:
    teams_sim(harness).state.add_user("irene@example.com", "Irene Instructor")
    created = await teams_integration(harness, "application")
    session = await teams_session(harness, created)
    came = await harness.user("came@example.com", "Came Along")
    away = await harness.user("away@example.com", "Stayed Away")
    for learner in (came, away):
        await harness.post(f"/api/v1/sessions/{session['id']}/enrollments", {"user_id": learner["id"]})
    meeting = session["provider"]["ref"]
    await harness.advance(3600)
    await sim_post(
        harness, "teams", f"/meetings/{meeting}/join", {"email": "irene@example.com", "name": "Irene"}
    )
    await sim_post(
        harness, "teams", f"/meetings/{meeting}/join", {"email": "came@example.com", "name": "Came"}
    )
    await harness.advance(50 * 60)
    await harness.post(f"/api/v1/sessions/{session['id']}/end")
    waiting = (await harness.get(f"/api/v1/sessions/{session['id']}")).json()["attendance"]
    assert waiting["state"] == "waiting"
    assert "once everyone has left" in waiting["note"]
    await sim_post(harness, "teams", f"/meetings/{meeting}/end")  # the last ones leave
    await harness.advance(5 * 60)  # polled every 5 minutes
    await harness.tick()
    roster = {
        e["user_id"]: e
        for e in (await harness.get(f"/api/v1/sessions/{session['id']}/roster")).json()["entries"]
    }
    assert (roster[came["id"]]["attendance"], roster[came["id"]]["completion"]) == ("attended", "completed")
    assert (roster[away["id"]]["attendance"], roster[away["id"]]["completion"]) == ("absent", "failed")


async def test_in_application_mode_a_new_instructor_holds_the_meeting_on_their_calendar(
    harness: Harness,
) -> None:
    sim = teams_sim(harness)
    sim.state.add_user("irene@example.com", "Irene Instructor")
    sim.state.add_user("oscar@example.com", "Oscar Other")
    integration = await teams_integration(harness, "application")
    irene = await harness.user("irene@example.com", "Irene Instructor", roles=["instructor"])
    oscar = await harness.user("oscar@example.com", "Oscar Other", roles=["instructor"])
    event = (await harness.post("/api/v1/events", {"title": "Teams class"})).json()
    session = (
        await harness.post(
            f"/api/v1/events/{event['id']}/sessions",
            {
                "starts_at": STARTS.isoformat(),
                "duration_minutes": 60,
                "integration_id": integration["id"],
                "instructor_ids": [irene["id"]],
            },
        )
    ).json()
    await harness.tick()
    first = (await harness.get(f"/api/v1/sessions/{session['id']}")).json()["provider"]["ref"]
    assert [m["organizer"] for m in sim.meetings()] == ["irene@example.com"]

    await harness.patch(f"/api/v1/sessions/{session['id']}", {"instructor_ids": [oscar["id"]]})
    await harness.tick()
    moved = (await harness.get(f"/api/v1/sessions/{session['id']}")).json()["provider"]
    assert moved["ref"] != first
    assert moved["error"] is None
    # Graph cannot move an event between calendars: a new one on Oscar's, Irene's deleted
    assert [(m["id"], m["organizer"]) for m in sim.meetings()] == [(moved["ref"], "oscar@example.com")]
