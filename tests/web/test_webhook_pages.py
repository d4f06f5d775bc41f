"""The administrator's webhook endpoints page, over HTTP: add an endpoint (errors next to their
fields), its secret shown once and accepted by a Standard Webhooks verifier at the receiver, the
endpoint's own delivery log, rotation, pause and delete."""

from __future__ import annotations

import re

from tests.api.roster_support import schedule
from tests.api.test_webhooks import RECEIVER, Receiver, SandboxWebhook, attach
from tests.web.conftest import Site


def _shown_secret(html: str) -> str:
    found = re.search(r'id="issued-secret"[^>]*value="(whsec_[^"]+)"', html)
    assert found, html
    return found.group(1)


async def test_an_endpoint_added_on_the_page_receives_verified_events(site: Site) -> None:
    receiver = Receiver()
    attach(site.harness, receiver)
    client, csrf = await site.signed_in("admin")

    refused = await client.post(
        "/admin/webhooks", data={"csrf_token": csrf, "url": "lms.example.com/hooks", "description": ""}
    )
    assert refused.status_code == 422
    assert "Give an absolute http:// or https:// URL." in refused.text
    assert "Subscribe to at least one event type." in refused.text
    assert re.search(r'id="f-url" name="url"[^>]*aria-invalid="true"', refused.text)

    created = await client.post(
        "/admin/webhooks",
        data={
            "csrf_token": csrf,
            "url": f"{RECEIVER}/hooks/main",
            "description": "Moodle",
            "event_types": ["session.updated"],
        },
    )
    assert created.status_code == 201
    secret = _shown_secret(created.text)
    listed = await client.get("/admin/webhooks")
    assert secret not in listed.text  # shown once, never again
    assert f"{RECEIVER}/hooks/main" in listed.text
    endpoint_id = re.search(r"/admin/deliveries\?target=([0-9a-f-]+)", listed.text)
    assert endpoint_id
    receiver.verifiers["main"] = SandboxWebhook(secret, site.runtime.clock)

    _, session, _ = await schedule(site.harness)
    await site.harness.patch(f"/api/v1/sessions/{session['id']}", {"title": "Renamed"})
    await site.harness.tick()
    assert [m["type"] for m in receiver.accepted] == ["session.updated"]  # only what it subscribed to
    log = await client.get(f"/admin/deliveries?target={endpoint_id.group(1)}")
    assert f"Only the messages for {RECEIVER}/hooks/main." in log.text
    assert "session.updated" in log.text
    assert "Delivered" in log.text

    rotated = await client.post(f"/admin/webhooks/{endpoint_id.group(1)}/rotate", data={"csrf_token": csrf})
    assert _shown_secret(rotated.text) != secret
    assert "The previous secret also signs until" in rotated.text

    paused = await client.post(f"/admin/webhooks/{endpoint_id.group(1)}/disable", data={"csrf_token": csrf})
    assert paused.status_code == 303
    await site.harness.patch(f"/api/v1/sessions/{session['id']}", {"title": "Renamed again"})
    await site.harness.tick()
    assert len(receiver.accepted) == 1  # a paused endpoint is owed nothing
    assert "Paused" in (await client.get("/admin/webhooks")).text

    deleted = await client.post(f"/admin/webhooks/{endpoint_id.group(1)}/delete", data={"csrf_token": csrf})
    assert deleted.status_code == 303
    assert "No webhook endpoints yet." in (await client.get("/admin/webhooks")).text


async def test_the_webhook_page_is_for_administrators_only(site: Site) -> None:
    client, _ = await site.signed_in("instructor")
    answer = await client.get("/admin/webhooks")
    assert answer.status_code == 403
