"""LTI Proctoring Services 1.0: LtiStartProctoring → identity check → LtiStartAssessment signed
by Vilt and accepted by the platform; the Assessment Control Service; LtiEndAssessment."""

from __future__ import annotations

import re

from tests.conftest import BASE_URL
from tests.lti.conftest import Lms
from tests.lti.platform import ISSUER, LEARNER, LaunchSpec, parse_form

AP = "https://purl.imsglobal.org/spec/lti-ap/claim/"
LTI = "https://purl.imsglobal.org/spec/lti/claim/"


def proctoring_launch(message_type: str = "LtiStartProctoring", attempt: int | str = 1) -> LaunchSpec:
    return LaunchSpec(
        "cand-1",
        [LEARNER],
        name="Carla Candidate",
        email="carla@school.test",
        resource_link_id="quiz-77",
        resource_link_title="Final exam",
        extra={
            LTI + "message_type": message_type,
            AP + "attempt_number": attempt,
            AP + "start_assessment_url": f"{ISSUER}/proctoring/start",
            AP + "session_data": "anti-csrf-5f2a",
            AP + "proctoring_settings": {"data": "webcam=on"},
            # Open edX names the actions with a Request suffix: accepted as they are
            AP + "acs": {
                "assessment_control_url": f"{ISSUER}/acs",
                "actions": ["pauseRequest", "resumeRequest", "terminateRequest", "update", "flagRequest"],
            },
            "given_name": "Carla",
            "family_name": "Candidate",
        },
    )


async def test_start_proctoring_check_start_assessment_control_and_end(lms: Lms) -> None:
    check = await lms.browser.launch(proctoring_launch(attempt="1"))
    assert check.status_code == 200, check.text
    assert "confirm who you are" in check.text
    assert "attempt 1" in check.text
    missing = await lms.browser.post_form(check, {"confirmed_name": "", "agree": "yes"})
    assert missing.status_code == 400
    assert "Type your full name" in missing.text
    started = await lms.browser.post_form(check, {"confirmed_name": "Carla Candidate", "agree": "yes"})
    action, fields = parse_form(started.text)
    assert action == f"{ISSUER}/proctoring/start"
    accepted = await lms.browser.client.post(action, data=fields)
    assert accepted.status_code == 200
    (claims,) = lms.platform.started  # verified by the platform with Vilt's published key
    assert claims[LTI + "message_type"] == "LtiStartAssessment"
    assert claims[LTI + "version"] == "1.3.0"
    assert claims[AP + "session_data"] == "anti-csrf-5f2a"
    assert claims[AP + "attempt_number"] == 1
    assert claims[LTI + "resource_link"]["id"] == "quiz-77"
    assert claims[LTI + "deployment_id"] == "dep-1"
    assert (claims["iss"], claims["aud"]) == ("vilt-client", ISSUER)
    assert claims[AP + "verified_user"] == {
        "name": "Carla Candidate",
        "given_name": "Carla",
        "family_name": "Candidate",
    }
    assert claims[AP + "end_assessment_return"] is True
    assert claims["nonce"]

    (attempt,) = (await lms.harness.get("/api/v1/lti/proctoring/attempts")).json()["items"]
    assert attempt["status"] == "started"
    paused = await lms.harness.post(
        f"/api/v1/lti/proctoring/attempts/{attempt['id']}/control",
        {"action": "pause", "reason_code": "gaze", "reason_msg": "Looked away", "incident_severity": 0.4},
    )
    assert paused.status_code == 200, paused.text
    assert paused.json()["attempt"]["status"] == "paused"
    (call,) = lms.platform.acs_calls
    assert call["content_type"] == "application/vnd.ims.lti-ap.v1.control+json"
    body = call["body"]
    assert body["action"] == "pauseRequest"
    assert body["user"] == {"sub": "cand-1"}
    assert body["resource_link"] == {"id": "quiz-77"}
    assert body["attempt_number"] == 1
    assert body["reason_msg"] == body["reason_message"] == "Looked away"
    assert body["incident_severity"] == 0.4
    lms.platform.acs_status = "running"
    flagged = await lms.harness.post(
        f"/api/v1/lti/proctoring/attempts/{attempt['id']}/control", {"action": "flagRequest"}
    )
    assert flagged.json()["attempt"]["status"] == "started"
    assert lms.platform.acs_calls[-1]["body"]["action"] == "flagRequest"
    unknown = await lms.harness.post(
        f"/api/v1/lti/proctoring/attempts/{attempt['id']}/control", {"action": "explode"}
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "action"

    again = await lms.browser.launch(proctoring_launch())
    assert "attempt_already_started" in again.text

    ended = await lms.browser.launch(proctoring_launch("LtiEndAssessment"))
    assert ended.status_code == 200, ended.text
    assert "Proctoring has ended" in ended.text
    assert f"{ISSUER}/course/course-1" in ended.text  # back to the course
    (attempt,) = (await lms.harness.get("/api/v1/lti/proctoring/attempts")).json()["items"]
    assert attempt["status"] == "ended"
    assert [i["request"]["action"] for i in attempt["incidents"]] == ["pauseRequest", "flagRequest"]


async def test_a_proctoring_launch_without_its_claims_is_refused(lms: Lms) -> None:
    spec = proctoring_launch()
    del spec.extra[AP + "session_data"]
    refused = await lms.browser.launch(spec)
    assert refused.status_code == 400
    assert "session_data_missing" in refused.text
    unknown_end = await lms.browser.launch(proctoring_launch("LtiEndAssessment", attempt=3))
    assert unknown_end.status_code == 404
    assert "attempt_unknown" in unknown_end.text


async def test_live_proctoring_puts_candidates_in_one_proctor_room_they_join_from_the_check_page(
    lms: Lms,
) -> None:
    bbb = await lms.harness.bbb_integration(name="Proctor rooms")
    saved = await lms.harness.client.put(
        "/api/v1/lti/proctoring/settings",
        headers=lms.harness.headers,
        json={
            "course_id": "course-1",  # the LTI context id of the course
            "content_id": "quiz-77",  # and the assessment's resource link id
            "enabled": True,
            "live_proctoring": True,
            "integration_id": bbb["id"],
        },
    )
    assert saved.status_code == 200, saved.text
    check = await lms.browser.launch(proctoring_launch(attempt="1"))
    assert check.status_code == 200, check.text
    room_link = re.search(r'href="(/lti/proctoring/[0-9a-f-]+/room)"', check.text)
    assert room_link, check.text
    await lms.harness.tick()  # the room's meeting is made on the provider

    joined = await lms.browser.client.get(f"{BASE_URL}{room_link.group(1)}")
    assert joined.status_code == 303
    assert "/sandbox/bigbluebutton/" in joined.headers["location"]
    assert "fullName=Carla+Candidate" in joined.headers["location"]
    assert "role=VIEWER" in joined.headers["location"]

    (attempt,) = (await lms.harness.get("/api/v1/lti/proctoring/attempts")).json()["items"]
    room = (await lms.harness.get(f"/api/v1/sessions/{attempt['proctor_session_id']}")).json()
    assert room["title"] == "Proctor room: Final exam"
    assert room["integration_id"] == bbb["id"]
    # a proctor, made an instructor of the room, joins it as its moderator
    proctor = await lms.harness.user("pat@school.test", "Pat Proctor", roles=["instructor"])
    await lms.harness.patch(f"/api/v1/sessions/{room['id']}", {"instructor_ids": [proctor["id"]]})
    await lms.harness.tick()
    hosted = await lms.harness.post(f"/api/v1/sessions/{room['id']}/launch", {"user_id": proctor["id"]})
    assert "role=MODERATOR" in hosted.json()["url"], hosted.text
    synced = (await lms.harness.get(f"/api/v1/sessions/{room['id']}")).json()
    assert synced["provider"]["error"] is None

    # the next candidate of the same assessment is put in the same room
    lms.browser.client.cookies.clear()
    other = proctoring_launch(attempt="1")
    other.user_id, other.name, other.email = "cand-2", "Dan Doe", "dan@school.test"
    await lms.browser.launch(other)
    attempts = (await lms.harness.get("/api/v1/lti/proctoring/attempts")).json()["items"]
    assert {a["proctor_session_id"] for a in attempts} == {room["id"]}


async def test_without_live_proctoring_there_is_no_room(lms: Lms) -> None:
    await lms.harness.client.put(
        "/api/v1/lti/proctoring/settings",
        headers=lms.harness.headers,
        json={"course_id": "course-1", "content_id": "quiz-77", "enabled": True, "live_proctoring": False},
    )
    check = await lms.browser.launch(proctoring_launch(attempt="1"))
    assert "/room" not in check.text
