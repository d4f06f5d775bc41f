"""Launches from an LMS (an independent LTI 1.3 platform implementation): Deep Linking creates
an event, the resource link lands an instructor on its management and a learner on their
sessions, with Join only inside the launch window."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from tests.conftest import BASE_URL
from tests.lti.conftest import Lms
from tests.lti.flows import CUSTOM, deep_link_new_event
from tests.lti.platform import INSTRUCTOR, ISSUER, LEARNER, STUDENT, LaunchSpec, parse_form

TEACHER = LaunchSpec("teacher-1", [INSTRUCTOR], name="Tina Teacher", email="tina@school.test")


async def test_deep_linking_creates_an_event_with_its_first_session_and_a_grade_column(lms: Lms) -> None:
    answer = await deep_link_new_event(lms)
    (item,) = answer["items"]
    claims = answer["claims"]
    assert claims["https://purl.imsglobal.org/spec/lti/claim/message_type"] == "LtiDeepLinkingResponse"
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "opaque-42"
    assert claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] == "dep-1"
    assert (claims["iss"], claims["aud"]) == ("vilt-client", ISSUER)
    assert item["type"] == "ltiResourceLink"
    assert item["url"] == f"{BASE_URL}/lti/launch"
    assert item["lineItem"]["scoreMaximum"] == 10
    assert item["lineItem"]["label"] == "Safety briefing"
    event_id = item["custom"]["vilt_event_id"]
    sessions = (await lms.harness.get(f"/api/v1/events/{event_id}/sessions")).json()["items"]
    assert len(sessions) == 1
    assert sessions[0]["starts_at"] == "2026-03-02T10:00:00Z"  # 11:00 in Berlin
    await lms.harness.tick()
    pushed = (await lms.harness.get(f"/api/v1/sessions/{sessions[0]['id']}")).json()
    assert pushed["provider"]["state"] == "synced", pushed
    assert pushed["instructor_ids"] != []


async def test_picking_an_existing_event_and_a_bad_form_say_what_is_wrong(lms: Lms) -> None:
    event = (await lms.harness.post("/api/v1/events", {"title": "Existing course"})).json()
    await lms.harness.bbb_integration(name="Campus rooms")
    spec = LaunchSpec("teacher-1", [INSTRUCTOR], name="Tina", deep_linking=True)
    picker = await lms.browser.launch(spec)
    assert "Campus rooms (BigBlueButton)" in picker.text  # the provider by its name
    wrong = await lms.browser.post_form(picker, {"event_id": "", "title": "", "starts_at": ""})
    assert wrong.status_code == 400
    assert "Give the new event a title" in wrong.text
    answer = await lms.browser.post_form(picker, {"event_id": event["id"]})
    action, form = parse_form(answer.text)
    await lms.browser.client.post(action, data=form)
    (item,) = lms.platform.deep_link_answers[-1]["items"]
    assert item["custom"] == {"vilt_event_id": event["id"], "vilt_score_maximum": "100"}
    assert (
        "https://purl.imsglobal.org/spec/lti-dl/claim/data"
        not in lms.platform.deep_link_answers[-1]["claims"]
    )


async def test_a_learner_cannot_deep_link(lms: Lms) -> None:
    refused = await lms.browser.launch(LaunchSpec("s-1", [LEARNER], deep_linking=True))
    assert refused.status_code == 403
    assert "Only instructors" in refused.text


async def test_resource_link_lands_instructor_on_management_and_learner_on_join(lms: Lms) -> None:
    answer = await deep_link_new_event(lms)
    custom = {CUSTOM: answer["items"][0]["custom"]}
    lineitem = f"{ISSUER}/ags/lineitems/li-7?type_id=3"
    teacher = LaunchSpec(
        "teacher-1",
        [INSTRUCTOR],
        name="Tina Teacher",
        email="tina@school.test",
        lineitem=lineitem,
        extra=custom,
    )
    page = await lms.browser.launch(teacher)
    assert page.status_code == 200, page.text
    assert "Safety briefing" in page.text
    assert "management" in page.text
    assert "Import course members" in page.text
    link_id = urlsplit(str(page.url)).path.rsplit("/", 1)[1]
    links = (await lms.harness.get("/api/v1/lti/links")).json()["items"]
    assert [(x["id"], x["lineitem_url"]) for x in links] == [(link_id, lineitem)]

    lms.browser.client.cookies.clear()
    learner = LaunchSpec(
        "student-1", ["Learner"], name="Sam Student", email="sam@school.test", lineitem=lineitem, extra=custom
    )
    page = await lms.browser.launch(learner)
    assert page.status_code == 200, page.text
    # learners enter 15 minutes early (a UTC user)
    assert "Join opens Mon, Mar 2, 2026, 9:45\u202fAM" in page.text
    assert "Join</a>" not in page.text
    users = (await lms.harness.get("/api/v1/users", params={"email": "sam@school.test"})).json()["items"]
    assert users[0]["roles"] == ["learner"]
    await lms.harness.tick()  # the meeting is created on the provider
    await lms.harness.advance(50 * 60)
    page = await lms.browser.client.get(str(page.url))
    join = re.search(r'href="(/lti/sessions/[^"]+/join)"', page.text)
    assert join is not None, page.text
    entered = await lms.browser.client.get(BASE_URL + join.group(1))
    assert entered.status_code == 303
    assert "role=VIEWER" in entered.headers["location"] or "VIEWER" in entered.headers["location"]


async def test_roles_are_mapped_from_institution_and_short_names(lms: Lms) -> None:
    await lms.browser.launch(LaunchSpec("inst-only", [STUDENT], name="Ina", email="ina@school.test"))
    await lms.browser.launch(
        LaunchSpec(
            "ta-1",
            ["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"],
            name="Tom TA",
            email="tom@school.test",
        )
    )
    found = {u["email"]: u["roles"] for u in (await lms.harness.get("/api/v1/users")).json()["items"]}
    assert found["ina@school.test"] == ["learner"]
    assert found["tom@school.test"] == ["instructor"]


async def test_the_same_sub_is_the_same_user_and_a_late_email_replaces_the_placeholder(lms: Lms) -> None:
    await lms.browser.launch(LaunchSpec("anon-7", [LEARNER], name="Private Person"))
    first = (await lms.harness.get("/api/v1/users")).json()["items"]
    assert len(first) == 1
    assert first[0]["email"].endswith(".invalid")
    await lms.browser.launch(LaunchSpec("anon-7", [LEARNER], name="Private Person", email="pp@school.test"))
    again = (await lms.harness.get("/api/v1/users")).json()["items"]
    assert [(u["id"], u["email"]) for u in again] == [(first[0]["id"], "pp@school.test")]
