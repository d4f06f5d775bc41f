"""The Zoom simulator on its own, driven with plain HTTP as Zoom's reference describes it (no
adapter code): Server-to-Server tokens, error bodies, the participants report's pages and
expiring page tokens, double-encoded UUIDs, the per-user daily cap, rate-limit headers, signed
webhooks after a validated subscription, and the control API."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.sandbox.support import T0, Receiver
from vilt.clock import AdjustableClock
from vilt.sandbox.zoom import ZoomSimulator

ZOOM = "http://zoom.sim"
START = T0 + timedelta(hours=1)


@pytest.fixture
def zoom(clock: AdjustableClock, receiver: Receiver) -> ZoomSimulator:
    sim = ZoomSimulator(
        clock, public_base=ZOOM, outbound=receiver.client, uuid_factory=lambda: "/slash//uuid=="
    )
    sim.state.add_user("host@example.com", "Hannah Host")
    return sim


@pytest.fixture
async def http(zoom: ZoomSimulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=zoom.app), base_url=ZOOM) as client:
        yield client


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


async def token(http: httpx.AsyncClient, zoom: ZoomSimulator) -> dict[str, str]:
    answer = await http.post(
        "/oauth/token",
        params={"grant_type": "account_credentials", "account_id": zoom.account_id},
        headers=basic(zoom.client_id, zoom.client_secret),
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def meeting(http: httpx.AsyncClient, auth: dict[str, str], **body: Any) -> dict[str, Any]:
    answer = await http.post(
        "/v2/users/host@example.com/meetings",
        headers=auth,
        json={
            "topic": "Class",
            "type": 2,
            "start_time": "2026-03-02T10:00:00Z",
            "duration": 60,
            "settings": {"approval_type": 0},
            **body,
        },
    )
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


async def test_the_token_endpoint_follows_server_to_server_oauth(
    http: httpx.AsyncClient, zoom: ZoomSimulator
) -> None:
    answer = await http.post(
        "/oauth/token",
        params={"grant_type": "account_credentials", "account_id": zoom.account_id},
        headers=basic(zoom.client_id, zoom.client_secret),
    )
    body = answer.json()
    assert (body["token_type"], body["expires_in"], body["api_url"]) == ("bearer", 3599, ZOOM)
    wrong = await http.post(
        "/oauth/token",
        params={"grant_type": "account_credentials", "account_id": zoom.account_id},
        headers=basic(zoom.client_id, "nope"),
    )
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    other = await http.post(
        "/oauth/token",
        params={"grant_type": "account_credentials", "account_id": "x"},
        headers=basic(zoom.client_id, zoom.client_secret),
    )
    assert (other.status_code, other.json()["reason"]) == (400, "Invalid account_id")


async def test_api_errors_come_in_zooms_body(
    http: httpx.AsyncClient, zoom: ZoomSimulator, clock: AdjustableClock
) -> None:
    assert (await http.get("/v2/users/me")).json() == {"code": 124, "message": "Invalid access token."}
    auth = await token(http, zoom)
    missing = await http.get("/v2/users/nobody@example.com", headers=auth)
    assert (missing.status_code, missing.json()["code"]) == (404, 1001)
    invalid = await http.post(
        "/v2/users/host@example.com/meetings",
        headers=auth,
        json={"topic": "x", "type": 7, "start_time": "now"},
    )
    assert invalid.status_code == 400
    assert invalid.json()["code"] == 300
    assert invalid.json()["errors"][0]["field"] in ("start_time", "type")
    clock.advance(3600)
    assert (await http.get("/v2/users/me", headers=auth)).status_code == 401  # the token lived an hour


async def test_the_report_pages_by_300_and_its_page_token_expires_after_15_minutes(
    http: httpx.AsyncClient, zoom: ZoomSimulator, clock: AdjustableClock
) -> None:
    auth = await token(http, zoom)
    created = await meeting(http, auth)
    rows = [(f"P{n}", f"p{n}@example.com", "", START, START + timedelta(minutes=10)) for n in range(650)]
    zoom.record_past_instance(str(created["id"]), START, START + timedelta(hours=1), rows)
    path = f"/v2/report/meetings/{created['id']}/participants"
    first = (await http.get(path, params={"page_size": 1000}, headers=auth)).json()
    assert (first["page_size"], first["page_count"], first["total_records"]) == (300, 3, 650)
    assert len(first["participants"]) == 300
    assert set(first["participants"][0]) >= {
        "id",
        "user_id",
        "name",
        "user_email",
        "join_time",
        "leave_time",
        "duration",
        "registrant_id",
        "status",
    }
    second = (
        await http.get(
            path, params={"page_size": 300, "next_page_token": first["next_page_token"]}, headers=auth
        )
    ).json()
    assert [p["name"] for p in second["participants"][:1]] == ["P300"]
    clock.advance(15 * 60 + 1)
    expired = await http.get(
        path, params={"page_size": 300, "next_page_token": second["next_page_token"]}, headers=auth
    )
    assert (expired.status_code, expired.json()["code"]) == (400, 300)


async def test_a_uuid_with_slashes_must_be_encoded_twice(
    http: httpx.AsyncClient, zoom: ZoomSimulator
) -> None:
    auth = await token(http, zoom)
    created = await meeting(http, auth)
    zoom.record_past_instance(
        str(created["id"]),
        START,
        START + timedelta(hours=1),
        [("Lea", "lea@example.com", "", START, START + timedelta(minutes=5))],
    )
    once = quote("/slash//uuid==", safe="")
    assert (await http.get(f"/v2/report/meetings/{once}/participants", headers=auth)).status_code == 404
    twice = quote(once, safe="")
    ok = await http.get(f"/v2/report/meetings/{twice}/participants", headers=auth)
    assert ok.status_code == 200
    assert [p["user_email"] for p in ok.json()["participants"]] == ["lea@example.com"]


async def test_a_user_gets_100_meeting_writes_a_day(http: httpx.AsyncClient, zoom: ZoomSimulator) -> None:
    auth = await token(http, zoom)
    for _ in range(100):
        await meeting(http, auth)
    refused = await http.post(
        "/v2/users/host@example.com/meetings",
        headers=auth,
        json={"topic": "One more", "type": 2, "start_time": "2026-03-02T10:00:00Z"},
    )
    assert refused.status_code == 429
    assert "particular user" in refused.json()["message"]
    assert refused.headers["X-RateLimit-Type"] == "Daily-limit"
    assert refused.headers["Retry-After"] == "2026-03-03T00:00:00Z"


async def test_an_injected_429_carries_zooms_rate_limit_headers(
    http: httpx.AsyncClient, zoom: ZoomSimulator
) -> None:
    auth = await token(http, zoom)
    await http.post("/_sim/faults", json={"status": 429, "count": 1, "retry_after": 2})
    throttled = await http.get("/v2/users/me", headers=auth)
    assert throttled.status_code == 429
    assert throttled.json()["code"] == 429
    assert throttled.headers["X-RateLimit-Category"] == "Light"
    assert throttled.headers["X-RateLimit-Type"] == "QPS"
    assert throttled.headers["X-RateLimit-Remaining"] == "0"


async def test_webhooks_are_sent_signed_after_the_endpoint_was_validated(
    http: httpx.AsyncClient, zoom: ZoomSimulator, receiver: Receiver
) -> None:
    secret = zoom.webhook_secret.encode()

    async def endpoint(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body["event"] == "endpoint.url_validation":
            plain = body["payload"]["plainToken"]
            encrypted = hmac.new(secret, plain.encode(), hashlib.sha256).hexdigest()
            return httpx.Response(200, json={"plainToken": plain, "encryptedToken": encrypted})
        received.append(request)
        return httpx.Response(200)

    received: list[httpx.Request] = []
    zoom.outbox.client_factory = lambda: httpx.AsyncClient(transport=httpx.MockTransport(endpoint))
    subscribed = await http.post("/_sim/webhooks", json={"url": "http://lms.test/zoom"})
    assert subscribed.json()["validated"] is True
    auth = await token(http, zoom)
    created = await meeting(http, auth)
    await http.post(f"/_sim/meetings/{created['id']}/join", json={"name": "Hannah", "role": "host"})
    await http.put(f"/v2/meetings/{created['id']}/status", headers=auth, json={"action": "end"})
    await zoom.drain()
    events = [json.loads(r.content) for r in received]
    assert [e["event"] for e in events] == ["meeting.started", "meeting.ended"]
    ended = received[-1]
    message = b"v0:" + ended.headers["x-zm-request-timestamp"].encode() + b":" + ended.content
    assert ended.headers["x-zm-signature"] == "v0=" + hmac.new(secret, message, hashlib.sha256).hexdigest()
    assert events[-1]["payload"]["object"]["id"] == str(created["id"])


async def test_a_wrong_validation_answer_means_no_events(
    http: httpx.AsyncClient, zoom: ZoomSimulator
) -> None:
    zoom.outbox.client_factory = lambda: httpx.AsyncClient(
        transport=httpx.MockTransport(
            lambda r: httpx.Response(200, json={"plainToken": "x", "encryptedToken": "y"})
        )
    )
    assert (await http.post("/_sim/webhooks", json={"url": "http://lms.test/zoom"})).json()[
        "validated"
    ] is False
    auth = await token(http, zoom)
    created = await meeting(http, auth)
    await http.post(f"/_sim/meetings/{created['id']}/join", json={"name": "Hannah", "role": "host"})
    await http.post(f"/_sim/meetings/{created['id']}/end")
    assert zoom.outbox.sent == []


async def test_attendees_wait_for_the_host_and_polls_are_not_simulated(
    http: httpx.AsyncClient, zoom: ZoomSimulator, clock: AdjustableClock
) -> None:
    auth = await token(http, zoom)
    created = await meeting(http, auth)
    waiting = await http.post(
        f"/_sim/meetings/{created['id']}/join", json={"email": "lea@example.com", "name": "Lea"}
    )
    assert waiting.json()["waiting"] is True
    clock.advance(120)
    await http.post(f"/_sim/meetings/{created['id']}/join", json={"name": "Hannah", "role": "host"})
    [listed] = (await http.get("/_sim/meetings")).json()["meetings"]
    assert listed["state"] == "running"
    assert {p["email"] for p in listed["instances"][0]["participants"]} == {
        "host@example.com",
        "lea@example.com",
    }
    polls = await http.post(
        f"/_sim/meetings/{created['id']}/polls", json={"email": "lea@example.com", "answered": 1, "asked": 1}
    )
    assert polls.status_code == 501


async def test_canceled_registrants_are_no_longer_approved_and_their_join_url_admits_nobody(
    http: httpx.AsyncClient, zoom: ZoomSimulator
) -> None:
    auth = await token(http, zoom)
    created = await meeting(http, auth)
    base = f"/v2/meetings/{created['id']}"
    made = await http.post(
        f"{base}/batch_registrants",
        headers=auth,
        json={
            "auto_approve": True,
            "registrants": [
                {"email": "lea@example.com", "first_name": "Lea"},
                {"email": "max@example.com", "first_name": "Max"},
            ],
        },
    )
    lea, max_ = made.json()["registrants"]

    refused = [
        ({"action": "remove", "registrants": [{"id": lea["registrant_id"]}]}, "action"),
        ({"action": "cancel"}, "registrants"),
        ({"action": "cancel", "registrants": [{"id": str(n)} for n in range(31)]}, "registrants"),
        ({"action": "cancel", "registrants": [{}]}, "registrants[0]"),
    ]
    for body, field in refused:
        answer = await http.put(f"{base}/registrants/status", headers=auth, json=body)
        assert answer.status_code == 400, body
        assert answer.json()["code"] == 300
        assert answer.json()["errors"][0]["field"] == field
    unknown = await http.put(
        "/v2/meetings/81234567890/registrants/status",
        headers=auth,
        json={"action": "cancel", "registrants": []},
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, 3001)
    webinar_path = await http.put(
        f"/v2/webinars/{created['id']}/registrants/status",
        headers=auth,
        json={"action": "cancel", "registrants": [{"id": lea["registrant_id"]}]},
    )
    assert (webinar_path.status_code, webinar_path.json()["code"]) == (404, 3001)  # a meeting, not a webinar

    canceled = await http.put(
        f"{base}/registrants/status",
        headers=auth,
        json={"action": "cancel", "registrants": [{"id": lea["registrant_id"], "email": "lea@example.com"}]},
    )
    assert canceled.status_code == 204
    assert canceled.content == b""
    approved = (await http.get(f"{base}/registrants", headers=auth)).json()["registrants"]
    assert [r["email"] for r in approved] == ["max@example.com"]
    denied = (await http.get(f"{base}/registrants", headers=auth, params={"status": "denied"})).json()
    assert [r["email"] for r in denied["registrants"]] == ["lea@example.com"]
    [listed] = (await http.get("/_sim/meetings")).json()["meetings"]
    assert listed["registrant_statuses"] == {"canceled": 1, "approved": 1}

    page = await http.get(lea["join_url"].removeprefix(ZOOM))
    assert page.status_code == 403
    joined = await http.post(
        f"/_sim/meetings/{created['id']}/join",
        json={"email": "lea@example.com", "name": "Lea", "user_id": lea["registrant_id"]},
    )
    assert joined.status_code == 403
    assert (await http.get(max_["join_url"].removeprefix(ZOOM))).status_code == 200

    again = await http.post(
        f"{base}/registrants", headers=auth, json={"email": "lea@example.com", "first_name": "Lea"}
    )
    assert again.status_code == 201
    assert again.json()["registrant_id"] != lea["registrant_id"]  # a new registrant, a new URL
    assert again.json()["join_url"] != lea["join_url"]
