"""Zoom's webhooks, as the simulator sends them: an event subscription whose URL Zoom validates
first (``endpoint.url_validation``, answered with the HMAC of a plain token), then events signed
with the app's secret token (``x-zm-signature: v0=HMAC-SHA256(secret, "v0:{ts}:{body}")``)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from vilt.clock import Clock
from vilt.sandbox.outbox import Outbox, SentCallback
from vilt.sandbox.zoom_state import Instance, ZoomMeeting, zoom_time


class ZoomWebhooks:
    """Mixed into the Zoom simulator: its event subscription and the events it sends."""

    clock: Clock
    outbox: Outbox
    account_id: str
    webhook_secret: str
    webhook_url: str | None
    webhook_validated: bool

    def send_event(self, meeting: ZoomMeeting, what: str, instance: Instance) -> None:
        if not self.webhook_url or not self.webhook_validated:
            return
        obj: dict[str, Any] = {
            "id": str(meeting.id),
            "uuid": instance.uuid,
            "host_id": meeting.host.id,
            "topic": meeting.topic,
            "type": meeting.type,
            "start_time": zoom_time(instance.start_time),
            "duration": meeting.duration,
            "timezone": meeting.timezone,
        }
        if instance.end_time is not None:
            obj["end_time"] = zoom_time(instance.end_time)
        self.post_webhook(f"{meeting.kind}.{what}", {"account_id": self.account_id, "object": obj})

    def signed_headers(self, body: bytes, at: datetime | None = None) -> dict[str, str]:
        timestamp = str(int((at or self.clock.now()).timestamp()))
        message = f"v0:{timestamp}:".encode() + body
        digest = hmac.new(self.webhook_secret.encode(), message, hashlib.sha256).hexdigest()
        return {
            "Content-Type": "application/json",
            "x-zm-request-timestamp": timestamp,
            "x-zm-signature": f"v0={digest}",
            "User-Agent": "Zoom Marketplace/1.0a",
        }

    def post_webhook(self, event: str, payload: dict[str, Any]) -> None:
        assert self.webhook_url is not None
        now = self.clock.now()
        body = json.dumps(
            {"event": event, "event_ts": int(now.timestamp() * 1000), "payload": payload}
        ).encode()
        self.outbox.enqueue(
            SentCallback(event, "POST", self.webhook_url, now, body=body), self.signed_headers(body), body
        )

    async def _subscribe(self, request: Request) -> Response:
        """The app's event subscription: Zoom validates the URL before it sends any event."""
        try:
            body = await request.json()
        except ValueError:
            body = None
        url = str(body.get("url") or "") if isinstance(body, dict) else ""
        if not url.startswith(("http://", "https://")):
            return JSONResponse({"error": "Give the endpoint url."}, 400)
        return JSONResponse(await self.subscribe(url))

    async def subscribe(self, url: str) -> dict[str, Any]:
        """Set the event notification endpoint, and validate it as Zoom does (a signed
        ``endpoint.url_validation`` whose answer must be the HMAC of its plain token)."""
        self.webhook_url, self.webhook_validated = url, False
        plain = secrets.token_urlsafe(16)
        payload = json.dumps(
            {
                "payload": {"plainToken": plain},
                "event_ts": int(self.clock.now().timestamp() * 1000),
                "event": "endpoint.url_validation",
            }
        ).encode()
        expected = hmac.new(self.webhook_secret.encode(), plain.encode(), hashlib.sha256).hexdigest()
        if self.outbox.client_factory is None:
            return {"validated": False, "error": "no outbound client"}
        try:
            async with self.outbox.client_factory() as client:
                answer = await client.post(url, content=payload, headers=self.signed_headers(payload))
            got = answer.json() if answer.status_code == 200 else {}
        except Exception as exc:  # the endpoint is down: not validated, like Zoom
            return {"validated": False, "error": type(exc).__name__}
        self.webhook_validated = (
            isinstance(got, dict) and got.get("plainToken") == plain and got.get("encryptedToken") == expected
        )
        return {"validated": self.webhook_validated, "status": answer.status_code}
