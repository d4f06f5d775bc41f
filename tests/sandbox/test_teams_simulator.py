"""The Teams simulator on its own, driven with plain HTTP as the Microsoft identity platform and
Graph document it (no adapter code): both grant types and the consent page, Graph's error body,
/me only with a delegated token, the access-policy switch, transactionId, JoinWebUrl filters,
reports that appear once everyone left, nextLink paging, and throttling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.sandbox.support import T0
from vilt.clock import AdjustableClock
from vilt.sandbox.teams import TeamsSimulator

TEAMS = "http://teams.sim"
REDIRECT = "http://lms.test/callback"
EVENT = {
    "subject": "Class",
    "start": {"dateTime": "2026-03-02T10:00:00", "timeZone": "UTC"},
    "end": {"dateTime": "2026-03-02T11:00:00", "timeZone": "UTC"},
    "isOnlineMeeting": True,
    "onlineMeetingProvider": "teamsForBusiness",
    "transactionId": "t-1",
}


@pytest.fixture
def teams(clock: AdjustableClock) -> TeamsSimulator:
    sim = TeamsSimulator(clock, public_base=TEAMS, page_size=2)
    sim.state.add_user("olga@example.com", "Olga Organizer")
    return sim


@pytest.fixture
async def http(teams: TeamsSimulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=teams.app), base_url=TEAMS) as client:
        yield client


def token_path(teams: TeamsSimulator) -> str:
    return f"/{teams.tenant_id}/oauth2/v2.0/token"


async def app_token(http: httpx.AsyncClient, teams: TeamsSimulator) -> dict[str, str]:
    answer = await http.post(
        token_path(teams),
        data={
            "client_id": teams.client_id,
            "client_secret": teams.client_secret,
            "grant_type": "client_credentials",
            "scope": "https://graph.microsoft.com/.default",
        },
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def signed_in(http: httpx.AsyncClient, teams: TeamsSimulator, email: str) -> dict[str, Any]:
    params = {
        "client_id": teams.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "offline_access User.Read Calendars.ReadWrite OnlineMeetings.ReadWrite",
        "state": "xyz",
    }
    path = f"/{teams.tenant_id}/oauth2/v2.0/authorize"
    page = await http.get(f"{path}?{urlencode(params)}")
    assert email in page.text
    user = teams.state.user(email)
    assert user is not None
    redirected = await http.post(path, data={**params, "user": user.id})
    assert redirected.status_code == 302
    query = parse_qs(urlsplit(redirected.headers["location"]).query)
    assert query["state"] == ["xyz"]
    answer = await http.post(
        token_path(teams),
        data={
            "client_id": teams.client_id,
            "client_secret": teams.client_secret,
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": REDIRECT,
        },
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_identity_platform_errors_name_the_problem(
    http: httpx.AsyncClient, teams: TeamsSimulator
) -> None:
    form = {
        "client_id": teams.client_id,
        "client_secret": "wrong",
        "grant_type": "client_credentials",
        "scope": "https://graph.microsoft.com/.default",
    }
    wrong = await http.post(token_path(teams), data=form)
    assert (wrong.status_code, wrong.json()["error"], wrong.json()["error_codes"]) == (
        401,
        "invalid_client",
        [7000215],
    )
    assert wrong.json()["error_description"].startswith("AADSTS7000215:")
    tenant = await http.post("/not-a-tenant/oauth2/v2.0/token", data=form)
    assert tenant.json()["error_codes"] == [90002]
    scope = await http.post(
        token_path(teams), data={**form, "client_secret": teams.client_secret, "scope": "User.Read"}
    )
    assert scope.json()["error"] == "invalid_scope"


async def test_the_authorization_code_flow_gives_rotating_refresh_tokens(
    http: httpx.AsyncClient, teams: TeamsSimulator
) -> None:
    first = await signed_in(http, teams, "olga@example.com")
    assert "Calendars.ReadWrite" in first["scope"]
    me = await http.get("/v1.0/me", headers={"Authorization": f"Bearer {first['access_token']}"})
    assert me.json()["userPrincipalName"] == "olga@example.com"
    form = {
        "client_id": teams.client_id,
        "client_secret": teams.client_secret,
        "grant_type": "refresh_token",
        "refresh_token": first["refresh_token"],
    }
    second = (await http.post(token_path(teams), data=form)).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (await http.post(token_path(teams), data=form)).status_code == 200  # the old one still works
    teams.identity.revoke_sign_ins()
    revoked = await http.post(token_path(teams), data=form)
    assert (revoked.status_code, revoked.json()["error"]) == (400, "invalid_grant")


async def test_graph_answers_in_its_error_body(http: httpx.AsyncClient, teams: TeamsSimulator) -> None:
    unauthenticated = await http.get("/v1.0/users")
    error = unauthenticated.json()["error"]
    assert unauthenticated.status_code == 401
    assert error["code"] == "InvalidAuthenticationToken"
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}
    auth = await app_token(http, teams)
    me = await http.get("/v1.0/me", headers=auth)
    assert (me.status_code, me.json()["error"]["code"]) == (400, "BadRequest")
    missing = await http.get("/v1.0/users/nobody@example.com", headers=auth)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "Request_ResourceNotFound")


async def test_without_the_access_policy_an_app_may_not_touch_online_meetings(
    http: httpx.AsyncClient, teams: TeamsSimulator
) -> None:
    auth = await app_token(http, teams)
    await http.post("/_sim/policy", json={"granted": False})
    created = await http.post("/v1.0/users/olga@example.com/events", headers=auth, json=EVENT)
    assert created.status_code == 201  # calendars are not covered by the policy
    join = created.json()["onlineMeeting"]["joinUrl"]
    refused = await http.get(
        "/v1.0/users/olga@example.com/onlineMeetings",
        headers=auth,
        params={"$filter": f"JoinWebUrl eq '{join}'"},
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "No application access policy found for this app."


async def test_a_repeated_create_with_the_same_transaction_id_is_the_same_event(
    http: httpx.AsyncClient, teams: TeamsSimulator
) -> None:
    auth = await app_token(http, teams)
    first = (await http.post("/v1.0/users/olga@example.com/events", headers=auth, json=EVENT)).json()
    again = (await http.post("/v1.0/users/olga@example.com/events", headers=auth, json=EVENT)).json()
    assert first["id"] == again["id"]
    assert len(teams.state.meetings) == 1
    found = await http.get(
        "/v1.0/users/olga@example.com/onlineMeetings",
        headers=auth,
        params={"$filter": "JoinWebUrl eq '{}'".format(first["onlineMeeting"]["joinUrl"])},
    )
    [meeting] = found.json()["value"]
    assert meeting["joinWebUrl"] == first["onlineMeeting"]["joinUrl"]
    assert (await http.get("/v1.0/users/olga@example.com/onlineMeetings", headers=auth)).status_code == 400


async def test_a_report_appears_once_everyone_left_and_its_records_page_by_next_link(
    http: httpx.AsyncClient, teams: TeamsSimulator, clock: AdjustableClock
) -> None:
    auth = await app_token(http, teams)
    event = (await http.post("/v1.0/users/olga@example.com/events", headers=auth, json=EVENT)).json()
    organizer = teams.state.user("olga@example.com")
    assert organizer is not None
    meeting_id = next(iter(teams.state.meetings))
    reports = f"/v1.0/users/{organizer.id}/onlineMeetings/{meeting_id}/attendanceReports"
    for n in range(5):
        await http.post(
            f"/_sim/meetings/{meeting_id}/join", json={"email": f"p{n}@example.com", "name": f"P{n}"}
        )
    clock.advance(600)
    await http.post(f"/_sim/meetings/{meeting_id}/leave", json={"email": "p0@example.com"})
    assert (await http.get(reports, headers=auth)).json()["value"] == []  # four are still in
    await http.post(f"/_sim/meetings/{meeting_id}/end")
    [report] = (await http.get(reports, headers=auth)).json()["value"]
    assert report["totalParticipantCount"] == 5
    assert report["attendanceRecords"] == []  # records come from their own endpoint
    url: str | None = f"{TEAMS}{reports}/{report['id']}/attendanceRecords"
    records = []
    while url:
        page = (await http.get(url, headers=auth)).json()
        records += page["value"]
        url = page.get("@odata.nextLink")
    assert len(records) == 5
    assert records[0]["attendanceIntervals"][0]["joinDateTime"].endswith("0Z")
    assert {r["emailAddress"] for r in records} == {f"p{n}@example.com" for n in range(5)}
    assert event["organizer"]["emailAddress"]["address"] == "olga@example.com"


async def test_a_delegated_user_reads_only_their_own_meetings(
    http: httpx.AsyncClient, teams: TeamsSimulator
) -> None:
    teams.state.add_user("other@example.com", "Other User")
    tokens = await signed_in(http, teams, "other@example.com")
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    olga = teams.state.user("olga@example.com")
    assert olga is not None
    refused = await http.get(
        f"/v1.0/users/{olga.id}/onlineMeetings", headers=auth, params={"$filter": "JoinWebUrl eq 'x'"}
    )
    assert refused.status_code == 403


async def test_throttling_answers_429_with_retry_after(
    http: httpx.AsyncClient, teams: TeamsSimulator
) -> None:
    auth = await app_token(http, teams)
    await http.post("/_sim/faults", json={"status": 429, "count": 1, "retry_after": 17})
    throttled = await http.get("/v1.0/users", headers=auth)
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "17"
    assert throttled.json()["error"]["code"] == "TooManyRequests"
    assert (await http.get("/v1.0/users", headers=auth)).status_code == 200


def test_the_simulator_starts_on_the_shared_clock(teams: TeamsSimulator) -> None:
    assert teams.clock.now() == T0
