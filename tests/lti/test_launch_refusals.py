"""Every way a launch can be wrong is refused with a page that says why (and its reason code);
state and nonce are single-use; the platform's key set is refetched when it rotates."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.conftest import BASE_URL
from tests.lti.conftest import Lms
from tests.lti.platform import ISSUER, LEARNER, LaunchSpec, new_key, parse_form

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
SPEC = LaunchSpec("student-9", [LEARNER], name="Sam", email="sam@school.test")


def reason(page: httpx.Response) -> str:
    found = re.search(r'<code id="reason">([^<]+)</code>', page.text)
    assert found is not None, page.text
    return found.group(1)


async def post_launch(lms: Lms, id_token: str, state: str) -> httpx.Response:
    return await lms.browser.client.post(
        f"{BASE_URL}/lti/launch", data={"id_token": id_token, "state": state}
    )


async def crafted(lms: Lms, change: Callable[[dict[str, Any]], None], **sign: Any) -> httpx.Response:
    params, _ = await lms.browser.begin(SPEC)
    claims = lms.platform.claims_for(params)
    change(claims)
    return await post_launch(lms, lms.platform.sign(claims, **sign), params["state"])


def setting(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(claims: dict[str, Any]) -> None:
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value

    return apply


def shifted(name: str, seconds: int) -> Callable[[dict[str, Any]], None]:
    def apply(claims: dict[str, Any]) -> None:
        claims[name] = claims["iat"] + seconds

    return apply


CLAIM_CASES = [
    ("issuer_mismatch", setting("iss", "https://evil.test")),
    ("audience_mismatch", setting("aud", "someone-else")),
    ("azp_mismatch", lambda c: c.update(aud=["vilt-client", "other-tool"], azp="other-tool")),
    ("token_expired", shifted("exp", -300)),
    ("issued_in_future", lambda c: c.update(iat=c["iat"] + 600, exp=c["iat"] + 900)),
    ("nonce_mismatch", setting("nonce", "not-the-nonce")),
    ("deployment_unknown", setting(LTI + "deployment_id", "dep-unknown")),
    ("message_type_unsupported", setting(LTI + "message_type", "LtiSubmissionReviewRequest")),
    ("version_unsupported", setting(LTI + "version", "1.1")),
    ("resource_link_missing", setting(LTI + "resource_link", {"title": "no id"})),
    ("subject_missing", setting("sub", None)),
    ("roles_missing", setting(LTI + "roles", None)),
]


async def test_a_launch_with_wrong_claims_is_refused_with_its_reason(lms: Lms) -> None:
    for code, change in CLAIM_CASES:
        refused = await crafted(lms, change)
        assert refused.status_code in (400, 401, 403), (code, refused.text)
        assert refused.headers["content-type"].startswith("text/html")
        assert reason(refused) == code
        assert "This LTI launch was refused" in refused.text
    assert (await lms.harness.get("/api/v1/users")).json()["items"] == []


async def test_signature_key_and_algorithm_are_checked(lms: Lms) -> None:
    other_private, _ = new_key()
    assert reason(await crafted(lms, lambda c: None, key=other_private)) == "signature_invalid"
    assert reason(await crafted(lms, lambda c: None, kid="no-such-kid")) == "kid_unknown"
    assert reason(
        await crafted(lms, lambda c: None, key="a-shared-secret-of-32-bytes-long!", algorithm="HS256")
    ) == ("algorithm_refused")
    params, _ = await lms.browser.begin(SPEC)
    assert reason(await post_launch(lms, "not.a.jwt", params["state"])) == "token_malformed"


async def test_state_is_single_use_unknown_or_expired_states_are_refused(lms: Lms) -> None:
    params, _ = await lms.browser.begin(SPEC)
    page = await lms.browser.client.get(f"{ISSUER}/auth?{urlencode(params)}")
    _, fields = parse_form(page.text)
    first = await post_launch(lms, fields["id_token"], fields["state"])
    assert first.status_code == 303
    replay = await post_launch(lms, fields["id_token"], fields["state"])
    assert reason(replay) == "oidc_used"
    assert reason(await post_launch(lms, fields["id_token"], "made-up-state")) == "oidc_unknown"
    params, _ = await lms.browser.begin(SPEC)
    page = await lms.browser.client.get(f"{ISSUER}/auth?{urlencode(params)}")
    _, fields = parse_form(page.text)
    await lms.harness.advance(11 * 60)
    assert reason(await post_launch(lms, fields["id_token"], fields["state"])) == "oidc_expired"


async def test_login_initiation_by_get_and_post_and_its_refusals(lms: Lms) -> None:
    login = {
        "iss": ISSUER,
        "login_hint": "u1",
        "target_link_uri": f"{BASE_URL}/lti/launch",
        "client_id": "vilt-client",
        "lti_message_hint": "m",
    }
    by_post = await lms.browser.client.post(f"{BASE_URL}/lti/login", data=login)
    assert by_post.status_code == 302
    assert by_post.headers["location"].startswith(f"{ISSUER}/auth?")
    assert "lti_message_hint=m" in by_post.headers["location"]
    unknown = await lms.browser.client.get(
        f"{BASE_URL}/lti/login", params={**login, "iss": "https://unknown.test"}
    )
    assert (unknown.status_code, reason(unknown)) == (404, "platform_unknown")
    foreign = await lms.browser.client.get(
        f"{BASE_URL}/lti/login", params={**login, "target_link_uri": "https://evil.test/"}
    )
    assert reason(foreign) == "target_foreign"
    bad_deployment = await lms.browser.client.get(
        f"{BASE_URL}/lti/login", params={**login, "lti_deployment_id": "x"}
    )
    assert reason(bad_deployment) == "deployment_unknown"
    incomplete = await lms.browser.client.get(f"{BASE_URL}/lti/login", params={"iss": ISSUER})
    assert reason(incomplete) == "login_incomplete"


async def test_a_platform_error_and_an_inactive_platform_are_explained(lms: Lms) -> None:
    error = await lms.browser.client.post(
        f"{BASE_URL}/lti/launch", data={"error": "login_required", "error_description": "No user"}
    )
    assert reason(error) == "platform_error"
    assert "No user" in error.text
    params, _ = await lms.browser.begin(SPEC)
    await lms.harness.patch(f"/api/v1/lti/platforms/{lms.platform_id}", {"active": False})
    page = await lms.browser.client.get(f"{ISSUER}/auth?{urlencode(params)}")
    _, fields = parse_form(page.text)
    assert reason(await post_launch(lms, fields["id_token"], fields["state"])) == "platform_inactive"


async def test_a_rotated_platform_key_is_fetched_again(lms: Lms) -> None:
    assert (await lms.browser.launch(SPEC)).status_code == 200
    lms.platform.rotate_key()
    await lms.harness.advance(10)
    assert (await lms.browser.launch(SPEC)).status_code == 200
