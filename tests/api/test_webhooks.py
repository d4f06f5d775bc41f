"""Signed webhooks to the LMS: endpoints with a secret shown once, every event owed with the
change that causes it, Standard Webhooks signatures checked by the standardwebhooks verifier on
the receiving side, and redelivery after the receiver was down."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.api.roster_support import import_reports, report, schedule
from tests.conftest import Harness, make_harness
from vilt.clock import Clock

RECEIVER = "http://lms.test"


class SandboxWebhook(Webhook):
    """The package's verifier, its 5-minute tolerance measured on the deployment's clock: the
    receiver lives in the sandbox, as the simulators do, so a moved clock moves it too."""

    def __init__(self, secret: str, clock: Clock) -> None:
        super().__init__(secret)
        self.clock = clock

    def _Webhook__verify_timestamp(self, timestamp_header: str) -> datetime:
        timestamp = datetime.fromtimestamp(float(timestamp_header), tz=UTC)
        if abs(timestamp - self.clock.now()) > timedelta(minutes=5):
            raise WebhookVerificationError("Message timestamp outside the tolerance")
        return timestamp


@dataclass
class Receiver:
    """An LMS endpoint: verifies every message it gets before it accepts it."""

    verifiers: dict[str, Webhook] = field(default_factory=dict)
    """Per endpoint name (the last part of its URL), the verifier holding its secret."""
    status: int = 200
    accepted: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[dict[str, str]] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)

    def app(self) -> Starlette:
        async def hook(request: Request) -> JSONResponse:
            body = await request.body()
            headers = dict(request.headers)
            self.attempts.append(headers)
            self.bodies.append(body)
            if self.status != 200:
                return JSONResponse({"error": "down"}, status_code=self.status)
            try:
                payload = self.verifiers[request.path_params["name"]].verify(body, headers)
            except WebhookVerificationError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            self.accepted.append({"id": headers["webhook-id"], **payload})
            return JSONResponse({"ok": True})

        return Starlette(routes=[Route("/hooks/{name}", hook, methods=["POST"])])


def attach(harness: Harness, receiver: Receiver) -> None:
    harness.runtime.http.add_route(RECEIVER, receiver.app())


async def endpoint(harness: Harness, name: str = "main", **body: Any) -> dict[str, Any]:
    created = await harness.post("/api/v1/webhook-endpoints", {"url": f"{RECEIVER}/hooks/{name}", **body})
    assert created.status_code == 201, created.text
    result: dict[str, Any] = created.json()
    return result


@pytest.fixture
async def live_harness(database_url: str) -> AsyncIterator[Harness]:
    """A deployment whose clock reads the real time, so the verifier's own clock agrees."""
    built = await make_harness(database_url, start=datetime.now(UTC))
    yield built
    await built.client.aclose()
    await built.runtime.aclose()


async def test_endpoints_show_their_secret_once_and_refuse_bad_input(harness: Harness) -> None:
    created = await endpoint(harness, description="LMS")
    assert created["secret"].startswith("whsec_")
    assert created["event_types"] == [
        "session.updated",
        "session.ended",
        "roster.updated",
        "roster.submitted",
        "enrollment.updated",
    ]
    shown = (await harness.get(f"/api/v1/webhook-endpoints/{created['id']}")).json()
    assert "secret" not in shown
    listed = (await harness.get("/api/v1/webhook-endpoints")).json()
    assert created["secret"] not in json.dumps(listed)
    audit_text = json.dumps((await harness.get("/api/v1/deliveries")).json())
    assert created["secret"] not in audit_text
    bad = await harness.post("/api/v1/webhook-endpoints", {"url": "ftp://x", "event_types": ["roster.eaten"]})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"url", "event_types.0"}
    patched = await harness.patch(
        f"/api/v1/webhook-endpoints/{created['id']}", {"event_types": ["roster.submitted"], "active": False}
    )
    assert (patched.json()["event_types"], patched.json()["active"]) == (["roster.submitted"], False)
    types = (await harness.get("/api/v1/webhook-endpoints/event-types")).json()
    assert len(types) == 5
    assert (await harness.delete(f"/api/v1/webhook-endpoints/{created['id']}")).status_code == 204
    assert (await harness.get(f"/api/v1/webhook-endpoints/{created['id']}")).status_code == 404


async def test_every_event_is_signed_and_verified_by_the_receiver(live_harness: Harness) -> None:
    harness = live_harness
    receiver = Receiver()
    attach(harness, receiver)
    main = await endpoint(harness)
    only_submitted = await endpoint(harness, "submitted", event_types=["roster.submitted"])
    # the package's own verifier, untouched
    receiver.verifiers.update(main=Webhook(main["secret"]), submitted=Webhook(only_submitted["secret"]))
    start = harness.clock.now() + timedelta(minutes=10)
    _, session, (learner,) = await schedule(harness, learners=1, starts_at=start)
    sid = session["id"]
    await harness.patch(f"/api/v1/sessions/{sid}", {"title": "Renamed"})
    await harness.post(f"/api/v1/sessions/{sid}/end")
    await import_reports(harness, sid, report("a", (0, 60), email=learner["email"], start=start))
    await harness.post(f"/api/v1/sessions/{sid}/roster/submit")
    tick = await harness.tick()
    assert {d["status"] for d in tick["deliveries"]} == {"delivered"}

    types = [m["type"] for m in receiver.accepted]
    assert types == [
        "enrollment.updated",
        "session.updated",
        "session.ended",
        "roster.updated",
        "roster.submitted",
        "roster.submitted",
    ]
    by_type = {m["type"]: m for m in receiver.accepted}
    assert by_type["enrollment.updated"]["data"]["change"] == "created"
    renamed = by_type["session.updated"]["data"]
    assert (renamed["title"], renamed["changed"], renamed["sequence"]) == ("Renamed", ["title"], 1)
    assert by_type["session.ended"]["data"]["state"] == "ended"
    update = by_type["roster.updated"]["data"]
    assert (update["version"], update["reason"], update["entries"][0]["email"]) == (
        1,
        "sync",
        learner["email"],
    )
    submitted = by_type["roster.submitted"]["data"]
    assert submitted["summary"] == {"completed": 1}
    assert submitted["entries"][0]["completion"] == "completed"
    # webhook-id is the delivery's own id
    deliveries = (await harness.get("/api/v1/deliveries", params={"target": only_submitted["id"]})).json()[
        "items"
    ]
    assert [d["event_type"] for d in deliveries] == ["roster.submitted"]
    assert f"msg_{deliveries[0]['id'].replace('-', '')}" in {m["id"] for m in receiver.accepted}
    # a message signed with another secret is refused by the verifier
    forged = receiver.attempts[0] | {"webhook-signature": "v1," + "A" * 44}
    with pytest.raises(WebhookVerificationError):
        Webhook(main["secret"]).verify(receiver.bodies[0], forged)
    tampered = receiver.bodies[0].replace(b"created", b"canceled")
    with pytest.raises(WebhookVerificationError):
        Webhook(main["secret"]).verify(tampered, receiver.attempts[0])


async def test_redelivered_after_the_receiver_was_down_with_the_same_id(harness: Harness) -> None:
    receiver = Receiver(status=503)
    attach(harness, receiver)
    main = await endpoint(harness, event_types=["roster.submitted"])
    receiver.verifiers["main"] = SandboxWebhook(main["secret"], harness.clock)
    _, session, (learner,) = await schedule(harness, learners=1)
    await import_reports(harness, session["id"], report("a", (0, 60), email=learner["email"]))
    await harness.post(f"/api/v1/sessions/{session['id']}/roster/submit")
    await harness.tick()
    (owed,) = (await harness.get("/api/v1/deliveries")).json()["items"]
    assert (owed["status"], owed["attempts"], owed["last_status"]) == ("pending", 1, 503)
    assert owed["last_error"] == "The receiver answered HTTP 503."
    for _ in range(3):  # down for a while: retried with growing back-off
        await harness.advance(3600)
        await harness.tick()
    assert (await harness.get(f"/api/v1/deliveries/{owed['id']}")).json()["attempts"] == 4
    receiver.status = 200
    await harness.advance(3600)
    await harness.tick()
    shown = (await harness.get(f"/api/v1/deliveries/{owed['id']}")).json()
    assert (shown["status"], shown["attempts"]) == ("delivered", 5)
    assert [m["type"] for m in receiver.accepted] == ["roster.submitted"]
    ids = {a["webhook-id"] for a in receiver.attempts}
    stamps = [a["webhook-timestamp"] for a in receiver.attempts]
    assert ids == {f"msg_{owed['id'].replace('-', '')}"}
    assert len(set(stamps)) == 5  # each attempt signed at its own time


async def test_rotation_signs_with_both_secrets_and_a_disabled_endpoint_fails_visibly(
    harness: Harness,
) -> None:
    receiver = Receiver()
    attach(harness, receiver)
    main = await endpoint(harness, event_types=["enrollment.updated"])
    rotated = (await harness.post(f"/api/v1/webhook-endpoints/{main['id']}/rotate-secret")).json()
    assert rotated["secret"] != main["secret"]
    assert rotated["previous_secret_until"] == "2026-03-03T09:00:00Z"
    receiver.verifiers["main"] = SandboxWebhook(main["secret"], harness.clock)  # not switched yet
    _, session, (first,) = await schedule(harness, learners=1)
    await harness.tick()
    assert len(receiver.accepted) == 1
    assert len(receiver.attempts[-1]["webhook-signature"].split(" ")) == 2
    # a receiver that already switched to the new secret accepts the same message
    SandboxWebhook(rotated["secret"], harness.clock).verify(receiver.bodies[-1], receiver.attempts[-1])

    second = await harness.user("second@example.com", "Second")
    await harness.post(f"/api/v1/sessions/{session['id']}/enrollments", {"user_id": second["id"]})
    # disabled after the message was owed: it fails visibly and can be replayed
    await harness.patch(f"/api/v1/webhook-endpoints/{main['id']}", {"active": False})
    await harness.tick()
    assert len(receiver.accepted) == 1
    await harness.advance(25 * 3600)  # the old secret has stopped signing
    await harness.patch(f"/api/v1/webhook-endpoints/{main['id']}", {"active": True})
    failed = (await harness.get("/api/v1/deliveries", params={"status": "failed"})).json()["items"]
    assert [f["last_error"] for f in failed] == ["The webhook endpoint is disabled; enable it and replay."]
    receiver.verifiers["main"] = SandboxWebhook(rotated["secret"], harness.clock)
    await harness.post(f"/api/v1/deliveries/{failed[0]['id']}/replay")
    await harness.tick()
    assert len(receiver.accepted) == 2
    assert len(receiver.attempts[-1]["webhook-signature"].split(" ")) == 1
    assert first["id"] != second["id"]


async def test_the_end_of_a_session_is_announced_once_whichever_path_ends_it(harness: Harness) -> None:
    receiver = Receiver()
    attach(harness, receiver)
    main = await endpoint(harness, event_types=["session.ended", "session.updated"])
    receiver.verifiers["main"] = SandboxWebhook(main["secret"], harness.clock)
    _, by_import, (learner,) = await schedule(harness, learners=1)
    _, by_hand, _ = await schedule(harness)
    _, forgotten, _ = await schedule(harness)
    await import_reports(harness, by_import["id"], report("a", (0, 60), email=learner["email"]))
    await harness.post(f"/api/v1/sessions/{by_hand['id']}/end")
    await harness.post(f"/api/v1/sessions/{by_hand['id']}/end")
    for _ in range(4):  # the scheduled end, then two hours: auto-end by the worker
        await harness.advance(3600)
        await harness.tick()
    assert (await harness.get(f"/api/v1/sessions/{forgotten['id']}")).json()["ended_by"] == "auto-end"
    ended = [m["data"]["id"] for m in receiver.accepted if m["type"] == "session.ended"]
    assert sorted(ended) == sorted([by_import["id"], by_hand["id"], forgotten["id"]])
