"""What is particular to Microsoft Teams, against its simulator: both authorization modes and
their checks (the missing application access policy, and how to fix it), the sign-in (consent,
licence, permissions), refresh tokens that rotate and are kept, meetings on the right calendar,
attendance reports that exist only once everyone left, records paged by ``@odata.nextLink``,
matching by email and Entra id, and Graph's throttling. The generic steps are in the shared
contract (``test_contract_teams.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from tests.providers.contract import HOST, LEARNER, STARTS
from tests.providers.teams_support import (
    REDIRECT,
    TEAMS,
    browser,
    consent,
    signed_in_grant,
    teams_adapter,
    teams_settings,
)
from vilt.clock import AdjustableClock
from vilt.core.sessions import EventKind
from vilt.providers.base import ConnectionState, MeetingRef, MeetingSpec, MemoryState, Person, ProviderContext
from vilt.providers.errors import AuthExpired, Invalid, NotFound, RateLimited, Retriable
from vilt.providers.http import HttpEnvironment
from vilt.providers.teams.adapter import TeamsAdapter
from vilt.providers.teams.webhooks import parse_authorization_response
from vilt.sandbox.teams import TeamsSimulator


@pytest.fixture
def teams(clock: AdjustableClock) -> TeamsSimulator:
    sim = TeamsSimulator(clock, public_base=TEAMS)
    assert HOST.email is not None
    sim.state.add_user(HOST.email, HOST.name)
    return sim


@pytest.fixture
async def app_mode(teams: TeamsSimulator, clock: AdjustableClock) -> AsyncIterator[TeamsAdapter]:
    made = teams_adapter(teams, clock, auth_mode="application")
    yield made
    await made.aclose()


def spec(**overrides: Any) -> MeetingSpec:
    values: dict[str, Any] = {
        "session_key": "7ea5",
        "title": "Teams onboarding",
        "kind": EventKind.WEBINAR,
        "starts_at": STARTS,
        "duration": timedelta(hours=1),
        "time_zone": "Europe/Berlin",
        "host": HOST,
        "description": "Agenda: everything.",
    }
    values.update(overrides)
    return MeetingSpec(**values)


async def control(teams: TeamsSimulator, path: str, body: dict[str, Any]) -> dict[str, Any]:
    async with browser(teams) as client:
        answer = await client.post(path, json=body)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


# -- application mode -----------------------------------------------------------------------------


async def test_application_check_detects_the_missing_access_policy_and_says_how_to_fix_it(
    app_mode: TeamsAdapter, teams: TeamsSimulator
) -> None:
    await control(teams, "/_sim/policy", {"granted": False})
    result = await app_mode.check()
    assert not result.ok
    assert result.field == "client_id"
    assert "New-CsApplicationAccessPolicy" in result.reason
    assert "Grant-CsApplicationAccessPolicy" in result.reason
    assert teams.client_id in result.reason  # the app the policy must name
    await control(teams, "/_sim/policy", {"granted": True})
    fixed = await app_mode.check()
    assert fixed.ok
    assert fixed.account_label == "Tenant teams.sim.test (application access)"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"tenant_id": "00000000-0000-0000-0000-000000000000"}, "tenant_id"),
        ({"client_id": "11111111-1111-1111-1111-111111111111"}, "client_id"),
        ({"client_secret": "wrong"}, "client_secret"),
    ],
)
async def test_application_check_names_the_setting_at_fault(
    teams: TeamsSimulator, clock: AdjustableClock, overrides: dict[str, Any], field: str
) -> None:
    made = teams_adapter(teams, clock, auth_mode="application", **overrides)
    result = await made.check()
    await made.aclose()
    assert not result.ok
    assert result.field == field, result.reason
    assert "AADSTS" in result.reason
    assert teams.client_secret not in result.reason


async def test_application_meetings_go_on_the_instructors_calendar(
    app_mode: TeamsAdapter, teams: TeamsSimulator
) -> None:
    ref = await app_mode.create_meeting(spec())
    meeting = teams.state.meetings[ref.ref]
    assert meeting.organizer.mail == HOST.email
    assert meeting.subject == "Teams onboarding"
    assert (meeting.start, meeting.end) == (STARTS, STARTS + timedelta(hours=1))
    assert ref.data["join_url"] == meeting.join_url
    assert ref.data["organizer"] == f"/users/{meeting.organizer.id}"


async def test_an_instructor_without_a_microsoft_account_gets_a_clear_reason(app_mode: TeamsAdapter) -> None:
    with pytest.raises(Invalid) as caught:
        await app_mode.create_meeting(spec(host=Person("i9", "Sam", "sam@example.com")))
    assert caught.value.field == "instructor_ids"
    assert "sam@example.com has no Microsoft 365 account in this tenant" in caught.value.reason
    with pytest.raises(Invalid, match="give the session an instructor"):
        await app_mode.create_meeting(spec(host=None))


async def test_an_instructor_without_a_licence_has_no_mailbox_for_the_meeting(
    app_mode: TeamsAdapter, teams: TeamsSimulator
) -> None:
    teams.state.add_user("unlicensed@example.com", "No Licence", licensed=False)
    with pytest.raises(Invalid, match="no Exchange Online mailbox"):
        await app_mode.create_meeting(spec(host=Person("i8", "No Licence", "unlicensed@example.com")))


async def test_without_the_policy_a_meeting_cannot_be_made_and_the_reason_says_why(
    app_mode: TeamsAdapter, teams: TeamsSimulator
) -> None:
    await control(teams, "/_sim/policy", {"granted": False})
    with pytest.raises(Invalid, match="application access policy"):
        await app_mode.create_meeting(spec())
    await control(teams, "/_sim/policy", {"granted": True})
    first = await app_mode.create_meeting(spec())  # the event made before is found again (transactionId)
    assert len(teams.state.meetings) == 1
    assert first.ref in teams.state.meetings


# -- delegated mode: the sign-in --------------------------------------------------------------------


async def test_delegated_before_anyone_signed_in_is_not_linked(
    teams: TeamsSimulator, clock: AdjustableClock
) -> None:
    made = teams_adapter(teams, clock)
    result = await made.check()
    await made.aclose()
    assert (result.ok, result.state) == (False, ConnectionState.NOT_LINKED)
    assert "Sign in to Microsoft" in result.reason


async def test_signing_in_keeps_a_refresh_token_and_says_who_signed_in(
    teams: TeamsSimulator, clock: AdjustableClock
) -> None:
    made = teams_adapter(teams, clock)
    answer = await consent(teams, made.authorize_url("s-1", REDIRECT), "irene@example.com")
    assert answer["state"] == "s-1"
    linked = await made.complete_link(answer["code"], REDIRECT)
    await made.aclose()
    assert linked.account_label == "Irene Host (irene@example.com)"
    assert linked.grant["refresh_token"]
    assert linked.grant["user"] == linked.account_label
    signed_in = teams_adapter(teams, clock, grant=linked.grant)
    result = await signed_in.check()
    await signed_in.aclose()
    assert (result.ok, result.account_label) == (True, "Irene Host (irene@example.com)")


async def test_a_canceled_sign_in_says_so(teams: TeamsSimulator, clock: AdjustableClock) -> None:
    made = teams_adapter(teams, clock)
    answer = await consent(teams, made.authorize_url("s-2", REDIRECT), "irene@example.com", deny=True)
    await made.aclose()
    with pytest.raises(Invalid, match="the sign-in was canceled"):
        parse_authorization_response(answer)


async def test_a_user_without_a_licence_cannot_be_the_one_who_signs_in(
    teams: TeamsSimulator, clock: AdjustableClock
) -> None:
    teams.state.add_user("guest@example.com", "No Licence", licensed=False)
    made = teams_adapter(teams, clock)
    answer = await consent(teams, made.authorize_url("s-3", REDIRECT), "guest@example.com")
    with pytest.raises(Invalid, match="has no Microsoft 365 licence"):
        await made.complete_link(answer["code"], REDIRECT)
    await made.aclose()


async def test_a_sign_in_without_the_needed_permissions_names_them(clock: AdjustableClock) -> None:
    narrow = TeamsSimulator(
        clock, public_base=TEAMS, delegated_permissions=("offline_access", "User.Read", "Calendars.ReadWrite")
    )
    made = teams_adapter(narrow, clock)
    answer = await consent(narrow, made.authorize_url("s-4", REDIRECT), "ada@teams.sim.test")
    with pytest.raises(Invalid) as caught:
        await made.complete_link(answer["code"], REDIRECT)
    await made.aclose()
    assert "OnlineMeetings.ReadWrite, OnlineMeetingArtifact.Read.All" in caught.value.reason


async def test_a_code_works_once(teams: TeamsSimulator, clock: AdjustableClock) -> None:
    made = teams_adapter(teams, clock)
    answer = await consent(teams, made.authorize_url("s-5", REDIRECT), "irene@example.com")
    await made.complete_link(answer["code"], REDIRECT)
    with pytest.raises(AuthExpired, match="no longer valid"):
        await made.complete_link(answer["code"], REDIRECT)
    await made.aclose()


async def test_a_rotated_refresh_token_is_kept_for_the_next_time(
    teams: TeamsSimulator, clock: AdjustableClock
) -> None:
    grant = await signed_in_grant(teams, clock, "irene@example.com")
    state = MemoryState()
    made = teams_adapter(teams, clock, grant=grant, state=state)
    await made.create_meeting(spec())
    await made.aclose()
    assert state.grant["refresh_token"] != grant["refresh_token"]  # replaced on use, and saved
    assert state.grant["user"] == grant["user"]


async def test_a_revoked_sign_in_needs_a_new_one(teams: TeamsSimulator, clock: AdjustableClock) -> None:
    grant = await signed_in_grant(teams, clock, "irene@example.com")
    teams.identity.revoke_sign_ins()
    made = teams_adapter(teams, clock, grant=grant)
    result = await made.check()
    await made.aclose()
    assert result.state == ConnectionState.NEEDS_REAUTH
    assert "sign in again" in result.reason


async def test_delegated_meetings_go_on_the_signed_in_users_calendar(
    teams: TeamsSimulator, clock: AdjustableClock
) -> None:
    grant = await signed_in_grant(teams, clock, "irene@example.com")
    made = teams_adapter(teams, clock, grant=grant)
    ref = await made.create_meeting(spec(host=Person("i7", "Someone Else", "else@example.com")))
    await made.aclose()
    assert teams.state.meetings[ref.ref].organizer.mail == "irene@example.com"
    assert ref.data["organizer"] == "/me"


# -- attendance -----------------------------------------------------------------------------------------


async def test_a_report_exists_only_once_everyone_has_left(
    app_mode: TeamsAdapter, teams: TeamsSimulator, clock: AdjustableClock
) -> None:
    ref = await app_mode.create_meeting(spec())
    clock.advance(3600)
    await control(teams, f"/_sim/meetings/{ref.ref}/join", {"email": HOST.email, "name": HOST.name})
    await control(teams, f"/_sim/meetings/{ref.ref}/join", {"email": LEARNER.email, "name": LEARNER.name})
    clock.advance(30 * 60)
    await control(teams, f"/_sim/meetings/{ref.ref}/leave", {"email": LEARNER.email})
    waiting = await app_mode.fetch_attendance(ref, spec())
    assert not waiting.ready
    assert "once everyone has left" in waiting.reason
    clock.advance(10 * 60)
    await control(teams, f"/_sim/meetings/{ref.ref}/leave", {"email": HOST.email})
    fetched = await app_mode.fetch_attendance(ref, spec())
    assert fetched.ready
    reports = {r.email: r for r in fetched.reports}
    assert reports[LEARNER.email].total_seconds == 30 * 60
    assert reports[HOST.email].role == "organizer"


async def test_records_are_read_across_pages_and_members_without_an_email_are_found_by_entra_id(
    clock: AdjustableClock,
) -> None:
    teams = TeamsSimulator(clock, public_base=TEAMS, page_size=7)
    assert HOST.email is not None
    teams.state.add_user(HOST.email, HOST.name)
    member = teams.state.add_user("mo@example.com", "Mo Member")
    made = teams_adapter(teams, clock, auth_mode="application")
    ref = await made.create_meeting(spec())
    clock.advance(3600)
    for n in range(20):
        await control(
            teams, f"/_sim/meetings/{ref.ref}/join", {"email": f"guest{n}@example.com", "name": f"G {n}"}
        )
    # a member signed in to Teams: the report knows their Entra id but gives no email
    await control(teams, f"/_sim/meetings/{ref.ref}/join", {"user_id": member.id, "name": "Mo Member"})
    clock.advance(20 * 60)
    await control(teams, f"/_sim/meetings/{ref.ref}/end", {})
    [report] = teams.state.meetings[ref.ref].reports
    assert next(r for r in report.records if r["identity"]["id"] == member.id)["emailAddress"] is None
    fetched = await made.fetch_attendance(ref, spec())
    await made.aclose()
    assert len(fetched.reports) == 21
    pages = [c for c in teams.calls if c[1].endswith("/attendanceRecords")]
    assert len(pages) == 3  # 21 records, 7 a page: two nextLinks followed
    mo = next(r for r in fetched.reports if r.participant_key == f"entra:{member.id}")
    assert mo.email == "mo@example.com"
    assert mo.total_seconds == 20 * 60


async def test_each_time_the_meeting_empties_a_report_is_made_and_all_of_them_count(
    app_mode: TeamsAdapter, teams: TeamsSimulator, clock: AdjustableClock
) -> None:
    ref = await app_mode.create_meeting(spec())
    clock.advance(3600)
    await control(teams, f"/_sim/meetings/{ref.ref}/join", {"email": LEARNER.email, "name": LEARNER.name})
    clock.advance(10 * 60)
    await control(teams, f"/_sim/meetings/{ref.ref}/leave", {"email": LEARNER.email})  # empty: report 1
    clock.advance(5 * 60)
    await control(teams, f"/_sim/meetings/{ref.ref}/join", {"email": LEARNER.email, "name": LEARNER.name})
    clock.advance(15 * 60)
    await control(teams, f"/_sim/meetings/{ref.ref}/leave", {"email": LEARNER.email})  # report 2
    fetched = await app_mode.fetch_attendance(ref, spec())
    [lea] = fetched.reports
    assert lea.total_seconds == 25 * 60
    assert len(lea.intervals) == 2
    assert len(fetched.raw["reports"]) == 2


async def test_attendance_sync_off_asks_teams_nothing(teams: TeamsSimulator, clock: AdjustableClock) -> None:
    made = teams_adapter(teams, clock, auth_mode="application", attendance_sync=False)
    fetched = await made.fetch_attendance(MeetingRef("m", {"organizer": "/users/x"}), spec())
    await made.aclose()
    assert not fetched.ready
    assert "off for this integration" in fetched.reason
    assert teams.calls == []


async def test_a_throttled_graph_without_retry_after_leaves_the_back_off_to_the_worker(
    teams: TeamsSimulator, clock: AdjustableClock
) -> None:
    async def throttled(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/v1.0"):
            body = {"error": {"code": "TooManyRequests", "message": "Too many requests."}}
            await JSONResponse(body, 429)(scope, receive, send)  # no Retry-After this time
            return
        await teams.app(scope, receive, send)

    settings = teams_settings(teams, auth_mode="application")
    http = HttpEnvironment(routes={TEAMS: throttled})
    made = TeamsAdapter(settings, ProviderContext(http=http, clock=clock, base_url="http://vilt.test"))
    with pytest.raises(RateLimited) as caught:
        await made.create_meeting(spec())
    await made.aclose()
    assert caught.value.defer is None  # the worker backs off exponentially: 30 s, 1 min, 2 min...
    assert "throttling" in caught.value.reason


async def test_a_next_link_to_another_host_is_not_followed(app_mode: TeamsAdapter) -> None:
    with pytest.raises(Retriable, match="another host"):
        await app_mode.graph.json("GET", "https://evil.example/v1.0/steal")


async def test_a_deleted_event_is_fine_to_delete_again_and_an_update_makes_it_again(
    app_mode: TeamsAdapter, teams: TeamsSimulator
) -> None:
    ref = await app_mode.create_meeting(spec())
    await app_mode.delete_meeting(ref)
    assert teams.state.meetings == {}
    await app_mode.delete_meeting(ref)
    again = await app_mode.update_meeting(ref, spec(title="Back again"))
    assert teams.state.meetings[again.ref].subject == "Back again"
    with pytest.raises(NotFound):
        await app_mode.graph.json("GET", "/users/nobody@example.com")
