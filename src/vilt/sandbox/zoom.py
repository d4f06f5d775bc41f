"""A Zoom account in memory: Server-to-Server OAuth, the REST API v2 paths and field names the
adapter uses, registrants with personal join URLs, past instances and the paged participants
report (one row per join segment, ``next_page_token`` expiring after 15 minutes), Zoom's error
bodies and rate-limit headers, the per-user daily cap on meeting writes, and signed webhooks
(``endpoint.url_validation``, ``meeting.ended``) on the shared clock.

Written from Zoom's published API reference, independently of the adapter."""

from __future__ import annotations

import base64
import hmac
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vilt.clock import Clock
from vilt.sandbox.control import JoinRequest, SimError, Simulator
from vilt.sandbox.faults import Fault
from vilt.sandbox.outbox import ClientFactory
from vilt.sandbox.zoom_routes import ZoomApi
from vilt.sandbox.zoom_state import (
    ZAK_LIFETIME,
    Instance,
    Segment,
    ZoomError,
    ZoomMeeting,
    ZoomState,
    random_uuid,
    zoom_time,
)
from vilt.sandbox.zoom_webhooks import ZoomWebhooks

TOKEN_LIFETIME = timedelta(seconds=3599)
DAILY_MEETING_WRITES = 100
QPS = {
    "pro": {"Light": 30, "Medium": 20, "Heavy": 10},
    "business": {"Light": 80, "Medium": 60, "Heavy": 40},
}


class ZoomSimulator(ZoomWebhooks, Simulator):
    kind = "zoom"
    exempt_from_faults = ("/_sim", "/w/", "/s/")

    def __init__(
        self,
        clock: Clock,
        *,
        public_base: str = "http://zoom.sim",
        outbound: ClientFactory | None = None,
        account_id: str = "sim-account-1",
        client_id: str = "sim-zoom-client",
        client_secret: str = "sim-zoom-client-secret",  # noqa: S107 - a simulator's own secret
        webhook_secret: str = "sim-zoom-webhook-secret",  # noqa: S107
        plan: str = "pro",
        webinar_plan: bool = True,
        enforce_qps: bool = False,
        uuid_factory: Callable[[], str] = random_uuid,
    ) -> None:
        self.account_id = account_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.webhook_secret = webhook_secret
        self.plan = plan
        self.webinar_plan = webinar_plan
        self.enforce_qps = enforce_qps
        self.state = ZoomState(account_id, uuid_factory)
        self.state.add_user("owner@zoom.sim.test", "Account Owner", owner=True)
        self.tokens: dict[str, datetime] = {}
        self.tokens_issued = 0
        self.webhook_url: str | None = None
        self.webhook_validated = False
        self.waiting: dict[int, list[JoinRequest]] = {}
        self._recent: dict[str, deque[float]] = {}
        self.api = ZoomApi(self)
        super().__init__(clock, public_base=public_base, outbound=outbound)

    def api_routes(self) -> Sequence[BaseRoute]:
        return [
            Route("/oauth/token", self._token, methods=["POST"]),
            *self.api.routes(),
            Route("/w/{meeting_id}", self._join_page, methods=["GET"]),
            Route("/s/{meeting_id}", self._start_page, methods=["GET"]),
            Route("/_sim/users", self._add_user, methods=["POST"]),
            Route("/_sim/webhooks", self._subscribe, methods=["POST"]),
        ]

    def integration_settings(self) -> dict[str, str]:
        return {
            "account_id": self.account_id,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "webhook_secret_token": self.webhook_secret,
            "oauth_url": self.public_base,
            "api_url": f"{self.public_base}/v2",
        }

    def reset(self) -> None:
        super().reset()
        self.state.meetings.clear()
        self.tokens.clear()

    # -- errors, auth, limits -------------------------------------------------------------------
    @staticmethod
    def error(exc: ZoomError) -> Response:
        return JSONResponse({"code": exc.code, "message": exc.message}, exc.status, headers=exc.headers)

    def fault_response(self, fault: Fault, path: str) -> Response:
        status = fault.status or 500
        if status == 429:
            return self.error(self._throttled(self.api.category(path), fault.retry_after))
        messages = {401: (124, "Invalid access token."), 404: (3001, "Meeting does not exist.")}
        code, message = messages.get(status, (status, "Simulated failure."))
        return JSONResponse({"code": code, "message": message}, status)

    def _throttled(self, category: str, retry_after: int) -> ZoomError:
        now = self.clock.now()
        limit = QPS.get(self.plan, QPS["pro"]).get(category, 10)
        headers = {
            "X-RateLimit-Category": category,
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": "0",
        }
        if retry_after >= 60:
            headers["X-RateLimit-Type"] = "Daily-limit"
            headers["Retry-After"] = zoom_time(now + timedelta(seconds=retry_after))
            return ZoomError(
                429,
                429,
                "You have reached the maximum daily rate limit for this API. "
                "Refer to the response header for details on when you can make another request.",
                headers,
            )
        headers["X-RateLimit-Type"] = "QPS"
        headers["Retry-After"] = str(retry_after)
        return ZoomError(
            429,
            429,
            "You have reached the maximum per-second rate limit for this API. Try again later.",
            headers,
        )

    def authorize(self, request: Request, category: str) -> None:
        """The bearer token must be one we issued and still valid; per-second limits apply."""
        header = request.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else ""
        expires = self.tokens.get(token)
        if expires is None or expires <= self.clock.now():
            raise ZoomError(401, 124, "Invalid access token.")
        if self.enforce_qps:
            # per-second limits are wall-clock limits, whatever the sandbox clock says
            now = time.monotonic()
            recent = self._recent.setdefault(category, deque())
            while recent and recent[0] <= now - 1.0:
                recent.popleft()
            if len(recent) >= QPS.get(self.plan, QPS["pro"]).get(category, 10):
                raise self._throttled(category, 1)
            recent.append(now)

    def count_meeting_write(self, user_id: str) -> None:
        day = self.clock.now().astimezone(UTC).date().isoformat()
        used = self.state.writes.get((user_id, day), 0)
        if used >= DAILY_MEETING_WRITES:
            tomorrow = datetime.combine(self.clock.now().date() + timedelta(days=1), datetime.min.time(), UTC)
            raise ZoomError(
                429,
                429,
                f"You have exceeded the daily rate limit ({DAILY_MEETING_WRITES}) of Meeting Create/Update "
                "API requests permitted for this particular user. "
                "You may resume these requests at GMT 00:00:00.",
                {"X-RateLimit-Type": "Daily-limit", "Retry-After": zoom_time(tomorrow)},
            )
        self.state.writes[(user_id, day)] = used + 1

    async def _token(self, request: Request) -> Response:
        self.calls.append(("POST", "/oauth/token"))
        params = dict(request.query_params)
        params.update(dict(parse_qsl((await request.body()).decode())))
        header = request.headers.get("authorization", "")
        try:
            given = base64.b64decode(header[6:]).decode() if header.lower().startswith("basic ") else ""
        except (ValueError, UnicodeDecodeError):
            given = ""
        client_id, _, client_secret = given.partition(":")
        if not hmac.compare_digest(client_id, self.client_id) or not hmac.compare_digest(
            client_secret, self.client_secret
        ):
            return JSONResponse(
                {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}, 401
            )
        if params.get("grant_type") != "account_credentials":
            return JSONResponse({"reason": "Unsupported grant type", "error": "unsupported_grant_type"}, 400)
        if params.get("account_id") != self.account_id:
            return JSONResponse({"reason": "Invalid account_id", "error": "invalid_request"}, 400)
        token = secrets.token_urlsafe(32)
        self.tokens[token] = self.clock.now() + TOKEN_LIFETIME
        self.tokens_issued += 1
        return JSONResponse(
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": int(TOKEN_LIFETIME.total_seconds()),
                "scope": "meeting:write:admin meeting:read:admin webinar:write:admin report:read:admin "
                "user:read:admin",
                "api_url": self.public_base,
            }
        )

    def expire_tokens(self) -> None:
        """Every issued token stops working (as after Zoom revokes them)."""
        self.tokens.clear()

    # -- lifecycle ------------------------------------------------------------------------------
    def host_joins(self, meeting: ZoomMeeting, name: str, email: str) -> Instance:
        now = self.clock.now()
        started = meeting.current is None
        instance = self.state.start(meeting, now)
        self._enter(instance, name=name, email=email, registrant_id="", zoom_user_id=meeting.host.id)
        if started:
            for waiting in self.waiting.pop(meeting.id, []):
                if self._refused(meeting, waiting) is None:  # canceled while waiting: not let in
                    self._admit(meeting, instance, waiting)
            self.send_event(meeting, "started", instance)
        return instance

    @staticmethod
    def _refused(meeting: ZoomMeeting, request: JoinRequest) -> str | None:
        """Why a person joining as a registrant (by registrant id) is not let in, if they are not."""
        registrant = meeting.registrants.get(request.user_id) if request.user_id else None
        if registrant is not None and not registrant.admitted:
            return f"Registrant {registrant.id} is {registrant.status}; their join URL admits nobody."
        return None

    def _admit(self, meeting: ZoomMeeting, instance: Instance, request: JoinRequest) -> Segment:
        registrant = None
        if request.user_id:
            registrant = meeting.registrants.get(request.user_id)
        if registrant is None and request.email:
            registrant = meeting.registrant_by_email(request.email)
        email = request.email or (registrant.email if registrant else "")
        user = self.state.user(email) if email else None
        return self._enter(
            instance,
            name=request.name,
            email=email,
            registrant_id=registrant.id if registrant else "",
            zoom_user_id=user.id if user else "",
        )

    def _enter(
        self, instance: Instance, *, name: str, email: str, registrant_id: str, zoom_user_id: str
    ) -> Segment:
        open_segment = instance.open_segment(email or None, registrant_id or None)
        if open_segment is not None:
            return open_segment
        segment = Segment(
            participant_id=str(16_000_000 + secrets.randbelow(999_999)),
            name=name,
            email=email,
            registrant_id=registrant_id,
            zoom_user_id=zoom_user_id,
            join_time=self.clock.now(),
        )
        instance.segments.append(segment)
        return segment

    def end_meeting(self, meeting: ZoomMeeting) -> None:
        self.waiting.pop(meeting.id, None)
        instance = self.state.finish(meeting, self.clock.now())
        if instance is not None:
            self.send_event(meeting, "ended", instance)

    # -- pages a browser opens --------------------------------------------------------------------
    async def _join_page(self, request: Request) -> Response:
        meeting = self.state.meetings.get(int(request.path_params["meeting_id"] or 0))
        registrant = meeting.registrant_by_token(request.query_params.get("tk", "")) if meeting else None
        if meeting is None or registrant is None:
            return HTMLResponse("<h1>This meeting link is not valid.</h1>", 404)
        if not registrant.admitted:
            return HTMLResponse("<h1>Your registration for this meeting was canceled.</h1>", 403)
        name = f"{registrant.first_name} {registrant.last_name}".strip()
        joined = self.join(str(meeting.id), JoinRequest(registrant.email, name, registrant.id, "attendee"))
        state = "in the meeting" if joined.get("joined_at") else "waiting for the host to start the meeting"
        return HTMLResponse(
            f"<!doctype html><title>{escape(meeting.topic)}</title><h1>{escape(meeting.topic)}</h1>"
            f"<p>Simulated Zoom. You are <b>{escape(name)}</b>, {state}.</p>"
        )

    async def _start_page(self, request: Request) -> Response:
        meeting = self.state.meetings.get(int(request.path_params["meeting_id"] or 0))
        zak = request.query_params.get("zak", "")
        if meeting is None or not meeting.zak or not hmac.compare_digest(zak, meeting.zak):
            return HTMLResponse("<h1>This start link is not valid.</h1>", 404)
        if meeting.zak_expires is None or meeting.zak_expires <= self.clock.now():
            return HTMLResponse("<h1>This start link has expired; get a new one.</h1>", 410)
        host = meeting.host
        self.host_joins(meeting, f"{host.first_name} {host.last_name}".strip(), host.email)
        return HTMLResponse(
            f"<!doctype html><title>{escape(meeting.topic)}</title><h1>{escape(meeting.topic)}</h1>"
            f"<p>Simulated Zoom. You host this meeting as <b>{escape(host.email)}</b>.</p>"
        )

    def start_url(self, meeting: ZoomMeeting) -> str:
        meeting.zak = secrets.token_urlsafe(24)
        meeting.zak_expires = self.clock.now() + ZAK_LIFETIME
        return f"{self.public_base}/s/{meeting.id}?zak={meeting.zak}"

    def join_url(self, meeting: ZoomMeeting, token: str | None = None) -> str:
        if token:
            return f"{self.public_base}/w/{meeting.id}?tk={token}"
        return f"{self.public_base}/j/{meeting.id}?pwd={meeting.password}"

    # -- control API ------------------------------------------------------------------------------
    async def _add_user(self, request: Request) -> Response:
        async def run() -> Any:
            body = await self._body(request)
            email = str(body.get("email") or "").strip()
            if "@" not in email:
                raise SimError(400, "Give the user's email.")
            user = self.state.add_user(email, str(body.get("name") or email.split("@")[0]))
            return user.public(self.account_id)

        return await self._guard(run)

    def meetings(self) -> list[dict[str, Any]]:
        return [
            {
                "id": str(m.id),
                "kind": m.kind,
                "title": m.topic,
                "host": m.host.email,
                "state": "running" if m.current else ("ended" if m.instances else "created"),
                "start_time": zoom_time(m.start_time),
                "registrants": len(m.registrants),
                "registrant_statuses": dict(Counter(r.status for r in m.registrants.values())),
                "instances": [
                    {
                        "uuid": i.uuid,
                        "start_time": zoom_time(i.start_time),
                        "end_time": zoom_time(i.end_time) if i.end_time else None,
                        "participants": [
                            {
                                "name": s.name,
                                "email": s.email,
                                "registrant_id": s.registrant_id,
                                "present": s.leave_time is None,
                            }
                            for s in i.segments
                        ],
                    }
                    for i in m.instances
                ],
            }
            for m in self.state.meetings.values()
        ]

    def join(self, meeting_id: str, request: JoinRequest) -> dict[str, Any]:
        meeting = self.state.any_meeting(meeting_id)
        if request.role.lower() in ("host", "moderator", "presenter"):
            started = self.host_joins(meeting, request.name, request.email or meeting.host.email)
            return {"user_id": meeting.host.id, "joined_at": zoom_time(started.start_time)}
        refused = self._refused(meeting, request)
        if refused is not None:
            raise SimError(403, refused)
        instance = meeting.current
        if instance is None:
            # join before host is off: people wait until the host starts the meeting
            self.waiting.setdefault(meeting.id, []).append(request)
            return {"user_id": request.user_id, "joined_at": None, "waiting": True}
        segment = self._admit(meeting, instance, request)
        return {
            "user_id": segment.registrant_id or segment.participant_id,
            "joined_at": zoom_time(segment.join_time),
        }

    def leave(self, meeting_id: str, email: str | None, user_id: str | None) -> dict[str, Any]:
        meeting = self.state.any_meeting(meeting_id)
        instance = meeting.current
        segment = instance.open_segment(email, user_id) if instance else None
        if segment is None:
            raise SimError(404, "Nobody with that email or user_id is in this meeting.")
        segment.leave_time = self.clock.now()
        return {
            "user_id": segment.registrant_id or segment.participant_id,
            "left_at": zoom_time(segment.leave_time),
        }

    def answer_polls(
        self, meeting_id: str, email: str | None, user_id: str | None, answered: int, asked: int
    ) -> dict[str, Any]:
        raise SimError(501, "Polls are not simulated for Zoom: Vilt does not read Zoom poll answers.")

    def end(self, meeting_id: str) -> dict[str, Any]:
        meeting = self.state.any_meeting(meeting_id)
        if meeting.current is None:
            raise SimError(409, "The meeting is not running.")
        self.end_meeting(meeting)
        return {"id": meeting_id, "ended_at": zoom_time(self.clock.now())}

    # -- for tests and benchmarks: a past instance with many rows at once -------------------------
    def record_past_instance(
        self,
        meeting_id: str,
        start: datetime,
        end: datetime,
        rows: Sequence[tuple[str, str, str, datetime, datetime]],
    ) -> Instance:
        """``rows``: (name, email, registrant id, join, leave), one per join segment."""
        meeting = self.state.any_meeting(meeting_id)
        instance = Instance(uuid=self.state.uuid_factory(), start_time=start, end_time=end)
        instance.segments = [
            Segment(str(16_000_000 + n), name, email, registrant, "", joined, left)
            for n, (name, email, registrant, joined, left) in enumerate(rows)
        ]
        meeting.instances.append(instance)
        return instance

    @staticmethod
    def decode_report_key(raw_segment: str) -> str:
        """What Zoom's gateway makes of the id in a report path: decoded once; a UUID that starts
        with ``/`` or contains ``//`` only survives when it was encoded twice."""
        once = unquote(raw_segment)
        if once.startswith("/") or "//" in once:
            raise ZoomError(404, 3001, "Meeting does not exist.")
        return unquote(once) if "%" in once else once
