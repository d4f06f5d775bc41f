"""The simulated BigBlueButton API, call by call: XML envelopes, messageKeys and the meeting
lifecycle on the shared clock (providers.md §1). Real HTTP requests over the ASGI transport."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.sandbox.support import T0, signed, text, xml
from vilt.clock import AdjustableClock
from vilt.sandbox.bigbluebutton import BigBlueButtonSimulator


async def create(api: httpx.AsyncClient, meeting_id: str = "room-1", **extra: str) -> dict[str, str]:
    params = [("name", "Weekly Class"), ("meetingID", meeting_id), *extra.items()]
    root = xml(await api.get(signed("create", params)))
    assert text(root, "returncode") == "SUCCESS", text(root, "message")
    return {child.tag: child.text or "" for child in root}


async def join(api: httpx.AsyncClient, meeting_id: str = "room-1", **params: str) -> httpx.Response:
    query = [("fullName", params.pop("fullName", "Ada Lovelace")), ("meetingID", meeting_id), *params.items()]
    return await api.get(signed("join", query))


async def info(api: httpx.AsyncClient, meeting_id: str = "room-1"):
    return xml(await api.get(signed("getMeetingInfo", [("meetingID", meeting_id)])))


async def running(api: httpx.AsyncClient, meeting_id: str = "room-1") -> str:
    return text(xml(await api.get(signed("isMeetingRunning", [("meetingID", meeting_id)]))), "running")


# -- envelope and create ---------------------------------------------------------------------------


async def test_the_api_root_answers_its_version_without_a_checksum(api: httpx.AsyncClient) -> None:
    for path in ("/bigbluebutton/api", "/bigbluebutton/api/"):
        root = xml(await api.get(path))
        assert text(root, "returncode") == "SUCCESS"
        assert text(root, "version") == "2.0"
        assert text(root, "bbbVersion")


async def test_create_returns_the_documented_fields(api: httpx.AsyncClient) -> None:
    created = await create(api)
    assert created["meetingID"] == "room-1"
    internal, _, stamp = created["internalMeetingID"].partition("-")
    assert len(internal) == 40
    assert stamp == created["createTime"] == str(int(T0.timestamp() * 1000))
    assert created["attendeePW"]
    assert created["moderatorPW"]
    assert created["hasUserJoined"] == "false"
    assert created["duration"] == "0"
    assert "messageKey" not in created


async def test_create_again_is_a_duplicate_warning_with_the_same_create_time(
    api: httpx.AsyncClient, clock: AdjustableClock
) -> None:
    first = await create(api)
    clock.advance(60)
    second = await create(api)
    assert second["messageKey"] == "duplicateWarning"
    assert second["createTime"] == first["createTime"]
    assert second["internalMeetingID"] == first["internalMeetingID"]


async def test_create_again_with_other_passwords_is_id_not_unique(api: httpx.AsyncClient) -> None:
    await create(api, attendeePW="ap", moderatorPW="mp")
    same = await create(api, attendeePW="ap", moderatorPW="mp")
    assert same["messageKey"] == "duplicateWarning"
    root = xml(
        await api.get(signed("create", [("name", "X"), ("meetingID", "room-1"), ("attendeePW", "other")]))
    )
    assert (text(root, "returncode"), text(root, "messageKey")) == ("FAILED", "idNotUnique")


async def test_create_refuses_missing_or_bad_parameters(api: httpx.AsyncClient) -> None:
    cases = {
        "missingParamMeetingID": [("name", "Class")],
        "missingParamName": [("meetingID", "room-1")],
        "invalidMeetingIdentifier": [("name", "Class"), ("meetingID", "a,b")],
    }
    for key, params in cases.items():
        root = xml(await api.get(signed("create", params)))
        assert (text(root, "returncode"), text(root, "messageKey")) == ("FAILED", key)
        assert text(root, "message")


async def test_calls_that_need_a_meeting_id_say_so(api: httpx.AsyncClient) -> None:
    for call in ("getMeetingInfo", "isMeetingRunning", "end"):
        assert text(xml(await api.get(signed(call))), "messageKey") == "missingParamMeetingID"


async def test_unknown_calls_are_unsupported(api: httpx.AsyncClient) -> None:
    assert text(xml(await api.get(signed("startTheMeeting"))), "messageKey") == "unsupportedRequest"


# -- POST ------------------------------------------------------------------------------------------


async def test_create_by_post_with_a_form_body_signs_only_the_url_query(api: httpx.AsyncClient) -> None:
    body = {"name": "Posted", "meetingID": "posted-1"}
    root = xml(await api.post(signed("create"), data=body))  # the URL query is empty
    assert text(root, "returncode") == "SUCCESS"
    assert text(root, "meetingID") == "posted-1"
    mixed = xml(await api.post(signed("create", [("meetingID", "posted-2")]), data={"name": "Mixed"}))
    assert text(mixed, "meetingID") == "posted-2"


async def test_a_parameter_both_in_the_url_and_the_body_is_refused(api: httpx.AsyncClient) -> None:
    url = signed("create", [("name", "A"), ("meetingID", "dup-1")])
    root = xml(await api.post(url, data={"meetingID": "dup-2"}))
    assert (text(root, "returncode"), text(root, "messageKey")) == ("FAILED", "checksumError")


async def test_join_is_get_only(api: httpx.AsyncClient) -> None:
    await create(api)
    root = xml(
        await api.post(signed("join", [("fullName", "A"), ("meetingID", "room-1"), ("role", "VIEWER")]))
    )
    assert text(root, "returncode") == "FAILED"


# -- join ------------------------------------------------------------------------------------------


async def test_join_redirects_into_the_client_with_the_role_given(api: httpx.AsyncClient) -> None:
    await create(api)
    answer = await join(api, role="VIEWER", userID="learner-7", fullName="Learner <Seven>")
    assert answer.status_code == 302
    room = await api.get(answer.headers["location"])
    assert room.status_code == 200
    assert "Learner &lt;Seven&gt;" in room.text  # escaped, never markup
    assert "VIEWER" in room.text
    host = await join(api, role="moderator", userID="host-1", fullName="Host")
    assert "MODERATOR" in (await api.get(host.headers["location"])).text
    attendees = {a.findtext("userID"): a.findtext("role") for a in (await info(api)).iter("attendee")}
    assert attendees == {"learner-7": "VIEWER", "host-1": "MODERATOR"}


async def test_join_falls_back_to_the_password_when_no_role_is_given(api: httpx.AsyncClient) -> None:
    await create(api, attendeePW="ap", moderatorPW="mp")
    assert (await join(api, password="mp", userID="m")).status_code == 302
    assert (await join(api, password="ap", userID="v")).status_code == 302
    refused = xml(await join(api, password="nope", userID="x"))
    assert text(refused, "messageKey") == "invalidPassword"
    roles = {a.findtext("userID"): a.findtext("role") for a in (await info(api)).iter("attendee")}
    assert roles == {"m": "MODERATOR", "v": "VIEWER"}


async def test_join_with_another_create_time_is_refused(api: httpx.AsyncClient) -> None:
    created = await create(api)
    stale = xml(await join(api, role="VIEWER", createTime=str(int(created["createTime"]) - 1000)))
    assert (text(stale, "returncode"), text(stale, "messageKey")) == ("FAILED", "mismatchCreateTimeParam")
    assert (await join(api, role="VIEWER", createTime=created["createTime"])).status_code == 302


async def test_join_without_redirect_answers_xml_and_the_url_works(api: httpx.AsyncClient) -> None:
    created = await create(api)
    root = xml(await join(api, role="VIEWER", userID="u-1", redirect="false"))
    assert text(root, "returncode") == "SUCCESS"
    assert text(root, "messageKey") == "successfullyJoined"
    assert text(root, "meeting_id") == created["internalMeetingID"]
    assert text(root, "user_id").startswith("w_")
    assert text(root, "auth_token")
    assert text(root, "session_token")
    url = text(root, "url")
    assert parse_qs(urlsplit(url).query)["sessionToken"] == [text(root, "session_token")]
    assert (await api.get(url)).status_code == 200


async def test_join_refusals(api: httpx.AsyncClient) -> None:
    nowhere = xml(await join(api, "no-such-room", role="VIEWER"))
    assert text(nowhere, "messageKey") == "invalidMeetingIdentifier"
    await create(api)
    nameless = xml(await api.get(signed("join", [("meetingID", "room-1"), ("role", "VIEWER")])))
    assert text(nameless, "messageKey") == "missingParamFullName"


# -- running, info, list, end ----------------------------------------------------------------------


async def test_meeting_info_lists_who_is_in_by_user_id(api: httpx.AsyncClient) -> None:
    await create(api, meta_course="Algebra")
    assert await running(api) == "false"
    before = await info(api)
    assert (text(before, "running"), text(before, "participantCount"), text(before, "startTime")) == (
        "false",
        "0",
        "0",
    )
    await join(api, role="MODERATOR", userID="host-1", fullName="Host")
    await join(api, role="VIEWER", userID="learner-1", fullName="Learner")
    root = await info(api)
    assert await running(api) == "true"
    assert text(root, "running") == "true"
    assert text(root, "participantCount") == "2"
    assert text(root, "moderatorCount") == "1"
    assert text(root, "startTime") == str(int(T0.timestamp() * 1000))
    assert text(root, "endTime") == "0"
    assert root.findtext("metadata/course") == "Algebra"  # meta_ stripped, lower-cased
    attendee = next(a for a in root.iter("attendee") if a.findtext("userID") == "learner-1")
    assert attendee.findtext("fullName") == "Learner"
    assert attendee.findtext("role") == "VIEWER"


async def test_get_meetings_lists_every_meeting(api: httpx.AsyncClient) -> None:
    empty = xml(await api.get(signed("getMeetings")))
    assert (text(empty, "returncode"), text(empty, "messageKey")) == ("SUCCESS", "noMeetings")
    await create(api, "room-a")
    await create(api, "room-b")
    listed = xml(await api.get(signed("getMeetings")))
    assert [m.findtext("meetingID") for m in listed.iter("meeting")] == ["room-a", "room-b"]


async def test_end_then_the_meeting_is_gone(api: httpx.AsyncClient) -> None:
    await create(api)
    await join(api, role="VIEWER", userID="u")
    ended = xml(await api.get(signed("end", [("meetingID", "room-1")])))
    assert (text(ended, "returncode"), text(ended, "messageKey")) == ("SUCCESS", "sentEndMeetingRequest")
    gone = await info(api)
    assert (text(gone, "returncode"), text(gone, "messageKey")) == ("FAILED", "notFound")
    assert await running(api) == "false"
    again = xml(await api.get(signed("end", [("meetingID", "room-1")])))
    assert text(again, "messageKey") == "notFound"
    rejoin = xml(await join(api, role="VIEWER"))
    assert text(rejoin, "messageKey") == "invalidMeetingIdentifier"


async def test_get_recordings_has_none(api: httpx.AsyncClient) -> None:
    root = xml(await api.get(signed("getRecordings", [("meetingID", "room-1")])))
    assert (text(root, "returncode"), text(root, "messageKey")) == ("SUCCESS", "noRecordings")


# -- time ------------------------------------------------------------------------------------------


async def test_a_meeting_nobody_joins_expires(api: httpx.AsyncClient, clock: AdjustableClock) -> None:
    await create(api, meetingExpireIfNoUserJoinedInMinutes="10")
    clock.advance(10 * 60)
    assert text(await info(api), "returncode") == "SUCCESS"  # akka-apps: expired once *over* 10 min
    clock.advance(1)
    assert text(await info(api), "messageKey") == "notFound"


async def test_the_default_expiry_without_joins_is_five_minutes(
    api: httpx.AsyncClient, clock: AdjustableClock
) -> None:
    await create(api)
    clock.advance(5 * 60)
    assert text(await info(api), "returncode") == "SUCCESS"
    clock.advance(1)
    assert text(await info(api), "messageKey") == "notFound"


async def test_a_meeting_ends_after_the_last_user_left(
    api: httpx.AsyncClient, clock: AdjustableClock, sim: BigBlueButtonSimulator
) -> None:
    await create(api, meetingExpireWhenLastUserLeftInMinutes="2")
    await join(api, role="VIEWER", userID="u")
    clock.advance(600)
    await api.post("/_sim/meetings/room-1/leave", json={"user_id": "u"})
    clock.advance(60)
    still = await info(api)
    assert text(still, "running") == "false"
    # bbb-web marks the end time when the last user leaves
    assert text(still, "endTime") == str(int((T0 + timedelta(seconds=600)).timestamp() * 1000))
    clock.advance(61)
    assert text(await info(api), "messageKey") == "notFound"
    assert sim.ended["room-1"].ended_at == T0 + timedelta(minutes=12)


async def test_coming_back_before_the_expiry_keeps_the_meeting(
    api: httpx.AsyncClient, clock: AdjustableClock
) -> None:
    await create(api)  # last-user-left expiry: 1 minute
    await join(api, role="VIEWER", userID="u")
    await api.post("/_sim/meetings/room-1/leave", json={"user_id": "u"})
    clock.advance(30)
    await join(api, role="VIEWER", userID="u")
    clock.advance(600)
    root = await info(api)
    assert (text(root, "running"), text(root, "endTime")) == ("true", "0")


async def test_duration_counts_from_create_not_from_the_first_join(
    api: httpx.AsyncClient, clock: AdjustableClock, sim: BigBlueButtonSimulator
) -> None:
    # akka-apps' MeetingExpiryTracker starts at create: a 30-minute meeting joined at +20 ends at +30
    await create(api, duration="30", meetingExpireIfNoUserJoinedInMinutes="60")
    clock.advance(20 * 60)
    await join(api, role="VIEWER", userID="u")
    clock.advance(9 * 60)
    assert text(await info(api), "running") == "true"
    clock.advance(5 * 60)
    assert text(await info(api), "messageKey") == "notFound"
    meeting = sim.ended["room-1"]
    assert meeting.ended_at == T0 + timedelta(minutes=30)
    assert meeting.attendees[next(iter(meeting.attendees))].leaves == [T0 + timedelta(minutes=30)]


async def test_the_earliest_reason_to_end_wins_even_when_noticed_late(
    api: httpx.AsyncClient, clock: AdjustableClock, sim: BigBlueButtonSimulator
) -> None:
    await create(api, duration="120")
    await join(api, role="VIEWER", userID="u")
    clock.advance(10 * 60)
    await api.post("/_sim/meetings/room-1/leave", json={"user_id": "u"})
    clock.advance(5 * 3600)  # nobody asks for five hours: both the duration and the expiry passed
    assert text(await info(api), "messageKey") == "notFound"
    assert sim.ended["room-1"].ended_at == T0 + timedelta(minutes=11)  # left at +10, expired a minute later
