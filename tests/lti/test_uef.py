"""The Ultra extension's server side: the LTI launch of the Ultra-extension placement, Learn's
three-legged OAuth for the extension's token, the page, and its settings save."""

from __future__ import annotations

import json
import re

from tests.conftest import BASE_URL
from tests.lti.conftest import Lms
from tests.lti.learn import FakeLearn
from tests.lti.platform import INSTRUCTOR, LEARNER, LaunchSpec

LEARN = "https://learn.test"
HANDLE = "vilt-proctoring-7f3a"


async def configure_ultra(lms: Lms, learn_url: str = LEARN) -> FakeLearn:
    learn = FakeLearn()
    lms.harness.runtime.http.add_route(learn_url, learn.app)
    await lms.browser.route(learn_url, learn.app)
    answer = await lms.harness.patch(
        f"/api/v1/lti/platforms/{lms.platform_id}",
        {
            "uef_learn_url": learn_url,
            "uef_rest_key": learn.rest_key,
            "uef_rest_secret": learn.rest_secret,
            "proctoring_handle": HANDLE,
        },
    )
    assert answer.status_code == 200, answer.text
    return learn


async def extension_page_path(lms: Lms, learn: FakeLearn, roles: list[str], learn_url: str = LEARN) -> str:
    """Ultra launches the extension; Vilt asks Learn for a REST token; the page's one-time path."""
    launched = await lms.browser.launch(
        LaunchSpec("teacher-1", roles, name="Tina", target=f"{BASE_URL}/lti/uef"), follow=False
    )
    assert launched.status_code == 303, launched.text
    consent = launched.headers["location"]
    assert consent.startswith(f"{learn_url}/learn/api/public/v1/oauth2/authorizationcode?")
    back = await lms.browser.client.get(consent)
    callback = await lms.browser.client.get(back.headers["location"])
    assert callback.status_code == 303, callback.text
    return str(callback.headers["location"])


async def test_ultra_extension_launch_gets_a_learn_token_and_serves_the_page(lms: Lms) -> None:
    learn = await configure_ultra(lms)
    path = await extension_page_path(lms, learn, [INSTRUCTOR])
    assert path.startswith("/lti/uef/page/")
    page = await lms.browser.client.get(BASE_URL + path)
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == "frame-ancestors *"
    found = re.search(r'<script type="application/json" id="vilt-uef-config">(.*?)</script>', page.text, re.S)
    assert found is not None
    config = json.loads(found.group(1))
    assert config["learnOrigin"] == LEARN
    assert config["handle"] == HANDLE
    assert config["token"] == learn.issued[0]
    assert '<script src="/lti/static/uef.js"></script>' in page.text
    script = await lms.browser.client.get(f"{BASE_URL}/lti/static/uef.js")
    assert "proctoring-service:register" in script.text
    assert "https://" not in script.text.replace("https://purl", "")  # served by Vilt, no CDN
    reused = await lms.browser.client.get(BASE_URL + path)
    assert "uef_page_used" in reused.text

    save = await lms.browser.client.post(
        f"{BASE_URL}/lti/uef/settings",
        json={
            "course_id": "_123_1",
            "content_id": "_456_1",
            "enabled": True,
            "proctoring_placement_handle": HANDLE,
        },
        headers={"X-Vilt-Session": config["session"]},
    )
    assert save.status_code == 200, save.text
    settings = (await lms.harness.get("/api/v1/lti/proctoring/settings")).json()["items"]
    assert [(s["course_id"], s["content_id"], s["enabled"]) for s in settings] == [("_123_1", "_456_1", True)]
    no_session = await lms.browser.client.post(
        f"{BASE_URL}/lti/uef/settings", json={"course_id": "c", "content_id": "x", "enabled": True}
    )
    assert no_session.status_code == 403
    assert no_session.headers["content-type"].startswith("application/problem+json")


async def test_a_learner_cannot_change_proctoring_settings_and_an_unconfigured_platform_says_so(
    lms: Lms,
) -> None:
    refused = await lms.browser.launch(
        LaunchSpec("teacher-1", [INSTRUCTOR], name="Tina", target=f"{BASE_URL}/lti/uef")
    )
    assert "uef_not_configured" in refused.text
    learn = await configure_ultra(lms)
    path = await extension_page_path(lms, learn, [LEARNER])
    page = await lms.browser.client.get(BASE_URL + path)
    found = re.search(r'id="vilt-uef-config">(.*?)</script>', page.text, re.S)
    assert found is not None
    session = json.loads(found.group(1))["session"]
    save = await lms.browser.client.post(
        f"{BASE_URL}/lti/uef/settings",
        json={"course_id": "c", "content_id": "x", "enabled": True},
        headers={"X-Vilt-Session": session},
    )
    assert save.status_code == 403
    assert "Only instructors" in save.json()["detail"]
