"""Dynamic Registration from the LMS with one URL; platform registrations through the API; the
tool's key set and its rotation (the old key is published until it expires)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy import select

from tests.conftest import BASE_URL, Harness
from tests.lti.conftest import Lms
from tests.lti.flows import deep_link_new_event
from tests.lti.platform import ISSUER
from vilt.services import accounts
from vilt.services.lti import keys
from vilt.storage.lti_models import LtiToolKey

TOOL = "https://purl.imsglobal.org/spec/lti-tool-configuration"


async def test_dynamic_registration_with_a_one_time_url(lms: Lms) -> None:
    link = (await lms.harness.post("/api/v1/lti/registration-links")).json()
    assert link["url"].startswith(f"{BASE_URL}/lti/register/")
    query = urlencode(
        {
            "openid_configuration": f"{ISSUER}/.well-known/openid-configuration",
            "registration_token": lms.platform.registration_token,
        }
    )
    confirm = await lms.browser.client.get(f"{link['url']}?{query}")
    assert confirm.status_code == 200, confirm.text
    assert "moodle" in confirm.text
    done = await lms.browser.post_form(confirm, {})
    assert done.status_code == 200, done.text
    assert "org.imsglobal.lti.close" in done.text
    (sent,) = lms.platform.registrations
    assert sent["initiate_login_uri"] == f"{BASE_URL}/lti/login"
    assert sent["redirect_uris"] == [f"{BASE_URL}/lti/launch"]
    assert sent["jwks_uri"] == f"{BASE_URL}/lti/jwks"
    assert sent["token_endpoint_auth_method"] == "private_key_jwt"
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in sent["scope"].split()
    assert (
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly" in sent["scope"].split()
    )
    assert "email" in sent[TOOL]["claims"]
    assert sent[TOOL]["messages"] == [
        {
            "type": "LtiDeepLinkingRequest",
            "target_link_uri": f"{BASE_URL}/lti/launch",
            "label": "Vilt live session",
            "placements": ["ContentArea"],
        }
    ]
    platforms = (await lms.harness.get("/api/v1/lti/platforms")).json()["items"]
    new = next(p for p in platforms if p["client_id"] == "dyn-client-1")
    assert (new["issuer"], new["deployment_ids"], new["product"]) == (ISSUER, ["dyn-deployment-1"], "moodle")
    assert new["token_url"] == f"{ISSUER}/token"
    again = await lms.browser.post_form(confirm, {})
    assert "registration_used" in again.text


async def test_registration_needs_a_valid_link_and_a_consistent_configuration(lms: Lms) -> None:
    query = urlencode(
        {"openid_configuration": f"{ISSUER}/.well-known/openid-configuration", "registration_token": "x"}
    )
    unknown = await lms.browser.client.get(f"{BASE_URL}/lti/register/not-a-token?{query}")
    assert "registration_unknown" in unknown.text
    link = (await lms.harness.post("/api/v1/lti/registration-links")).json()
    refused = await lms.browser.client.get(
        f"{link['url']}?{query}"
    )  # the LMS refuses a wrong registration token
    assert refused.status_code == 502
    assert "HTTP 401" in refused.text


async def test_platform_registrations_are_validated_and_unique(lms: Lms) -> None:
    harness = lms.harness
    duplicate = await harness.post("/api/v1/lti/platforms", lms.platform.settings())
    assert duplicate.status_code == 409
    bad = await harness.post(
        "/api/v1/lti/platforms", {**lms.platform.settings(), "client_id": "c2", "jwks_url": "ftp://x"}
    )
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {"field": "jwks_url", "reason": "Give an https URL (http only for localhost or in sandbox mode)."}
    ]
    changed = await harness.patch(
        f"/api/v1/lti/platforms/{lms.platform_id}",
        {"deployment_ids": ["dep-1", "dep-2"], "uef_rest_key": "app-key", "uef_rest_secret": "s3cret-value"},
    )
    assert changed.status_code == 200
    assert changed.json()["deployment_ids"] == ["dep-1", "dep-2"]
    assert changed.json()["uef_rest_secret_set"] is True
    assert "s3cret-value" not in changed.text
    assert changed.json()["tool"]["jwks_url"] == f"{BASE_URL}/lti/jwks"
    assert (await harness.delete(f"/api/v1/lti/platforms/{lms.platform_id}")).status_code == 204
    assert (await harness.get(f"/api/v1/lti/platforms/{lms.platform_id}")).status_code == 404


async def test_tool_keys_rotate_and_the_old_key_is_served_until_it_expires(lms: Lms) -> None:
    harness = lms.harness
    first = (await lms.browser.client.get(f"{BASE_URL}/lti/jwks")).json()["keys"]
    assert len(first) == 1
    assert {first[0]["kty"], first[0]["alg"], first[0]["use"]} == {"RSA", "RS256", "sig"}
    assert "d" not in first[0]  # public parts only
    rotated = await harness.post("/api/v1/lti/keys/rotate", {"keep_old_for_hours": 1})
    assert rotated.status_code == 201
    new_kid = rotated.json()["kid"]
    both = (await lms.browser.client.get(f"{BASE_URL}/lti/jwks")).json()["keys"]
    assert [k["kid"] for k in both] == [new_kid, first[0]["kid"]]
    listed = (await harness.get("/api/v1/lti/keys")).json()
    assert [(k["kid"], k["signing"]) for k in listed] == [(new_kid, True), (first[0]["kid"], False)]
    await deep_link_new_event(lms)  # signed with the new key; the platform verifies it
    assert lms.platform.deep_link_answers
    await harness.advance(2 * 3600)
    later = (await lms.browser.client.get(f"{BASE_URL}/lti/jwks")).json()["keys"]
    assert [k["kid"] for k in later] == [new_kid]
    async with harness.runtime.db.reading() as tx:
        stored = list((await tx.scalars(select(LtiToolKey))).all())
    assert all("PRIVATE KEY" not in k.private_key for k in stored)  # encrypted at rest


async def test_with_several_accounts_only_the_operator_rotates_the_shared_tool_keys(harness: Harness) -> None:
    async with harness.runtime.db.transaction() as tx:
        await accounts.create_account(harness.runtime.ctx, tx, "Another school")
    refused = await harness.post("/api/v1/lti/keys/rotate", {"keep_old_for_hours": 1})
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "vilt lti key rotate" in refused.json()["detail"]
    async with harness.runtime.db.transaction() as tx:
        rotated = await keys.rotate(harness.runtime.ctx, tx, timedelta(hours=1))  # the CLI's way
    listed = (await harness.get("/api/v1/lti/keys")).json()
    assert [k["kid"] for k in listed if k["signing"]] == [rotated.kid]
