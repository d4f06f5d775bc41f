"""Outgoing deliveries: owed in the same transaction, sent by the worker, retried with back-off
until the receiver is back, failures visible and replayable, nothing sent twice by accident."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.conftest import Harness
from vilt.services import deliveries
from vilt.services.deliveries import Sent
from vilt.storage.models import Delivery


@dataclass
class Receiver:
    status: int = 200
    retry_after: str | None = None
    received: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> Starlette:
        async def receive(request: Request) -> JSONResponse:
            if self.status == 200:
                self.received.append(await request.json())
            headers = {"Retry-After": self.retry_after} if self.retry_after else None
            return JSONResponse({}, status_code=self.status, headers=headers)

        return Starlette(routes=[Route("/hook", receive, methods=["POST"])])


@dataclass
class HttpSender:
    """A minimal sender over real HTTP, standing in for the webhook and LTI senders."""

    receiver: Receiver
    kind: str = "test"

    async def prepare(self, tx: AsyncSession, delivery: Delivery) -> str:
        return "http://receiver.test/hook"

    async def send(self, delivery: Delivery, prepared: Any) -> Sent:
        transport = httpx.ASGITransport(app=self.receiver.app())
        async with httpx.AsyncClient(transport=transport) as client:
            response = await client.post(prepared, json=delivery.payload)
        if response.status_code < 300:
            return Sent(True, response.status_code)
        after = response.headers.get("Retry-After")
        return Sent(
            False,
            response.status_code,
            f"HTTP {response.status_code}",
            retry_after=timedelta(seconds=int(after)) if after else None,
            permanent=response.status_code == 410,
        )


async def _owe(harness: Harness, key: str = "k1") -> Delivery:
    async with harness.runtime.db.transaction() as tx:
        return await deliveries.enqueue(
            tx,
            now=harness.clock.now(),
            account_id=harness.account_id,
            kind="test",
            target="hook",
            event_type="roster.submitted",
            payload={"n": key},
            idempotency_key=key,
        )


async def test_a_delivery_is_sent_once_and_shows_as_delivered(harness: Harness) -> None:
    receiver = Receiver()
    harness.runtime.ctx.deliveries["test"] = HttpSender(receiver)
    first = await _owe(harness)
    again = await _owe(harness)
    assert again.id == first.id
    tick = await harness.tick()
    assert tick["deliveries"] == [{"delivery_id": str(first.id), "kind": "test", "status": "delivered"}]
    await harness.tick()
    assert receiver.received == [{"n": "k1"}]
    shown = (await harness.get(f"/api/v1/deliveries/{first.id}")).json()
    assert (shown["status"], shown["attempts"], shown["last_status"]) == ("delivered", 1, 200)


async def test_receiver_down_is_retried_with_backoff_then_given_up_and_replayed(harness: Harness) -> None:
    receiver = Receiver(status=503)
    harness.runtime.ctx.deliveries["test"] = HttpSender(receiver)
    owed = await _owe(harness)
    await harness.tick()
    shown = (await harness.get(f"/api/v1/deliveries/{owed.id}")).json()
    assert (shown["status"], shown["attempts"], shown["last_error"]) == ("pending", 1, "HTTP 503")
    assert shown["next_attempt_at"] == "2026-03-02T09:00:30Z"
    await harness.tick()  # not before its time
    assert (await harness.get(f"/api/v1/deliveries/{owed.id}")).json()["attempts"] == 1
    for _ in range(80):  # three days of a dead receiver
        await harness.advance(3600)
        await harness.tick()
    failed = (await harness.get("/api/v1/deliveries", params={"status": "failed"})).json()["items"]
    assert [d["id"] for d in failed] == [str(owed.id)]
    receiver.status = 200
    replayed = await harness.post(f"/api/v1/deliveries/{owed.id}/replay")
    assert replayed.json()["status"] == "pending"
    await harness.tick()
    assert receiver.received == [{"n": "k1"}]
    assert (await harness.get(f"/api/v1/deliveries/{owed.id}")).json()["status"] == "delivered"


async def test_retry_after_is_honoured_and_gone_stops_at_once(harness: Harness) -> None:
    receiver = Receiver(status=429, retry_after="600")
    harness.runtime.ctx.deliveries["test"] = HttpSender(receiver)
    slow = await _owe(harness, "slow")
    await harness.tick()
    shown = (await harness.get(f"/api/v1/deliveries/{slow.id}")).json()
    assert shown["next_attempt_at"] == "2026-03-02T09:10:00Z"
    receiver.status, receiver.retry_after = 410, None
    gone = await _owe(harness, "gone")
    await harness.tick()
    assert (await harness.get(f"/api/v1/deliveries/{gone.id}")).json()["status"] == "failed"


async def test_a_delivery_without_a_sender_fails_visibly(harness: Harness) -> None:
    owed = await _owe(harness)
    await harness.tick()
    shown = (await harness.get(f"/api/v1/deliveries/{owed.id}")).json()
    assert shown["status"] == "failed"
    assert "No sender" in shown["last_error"]
