"""The Zoom REST API v2 routes of the simulator: users, meetings, webinars, registrants, past
instances and the participants report, with Zoom's validation errors and rate-limit categories."""

from __future__ import annotations

import math
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vilt.sandbox.zoom_state import (
    PAGE_TOKEN_LIFETIME,
    PageCursor,
    Registrant,
    ZoomError,
    ZoomMeeting,
    zoom_time,
)

if TYPE_CHECKING:
    from vilt.sandbox.zoom import ZoomSimulator

Handler = Callable[[Request], Awaitable[Any]]
MEETING_TYPES = {"meeting": (1, 2, 3, 8), "webinar": (5, 6, 9)}
BATCH_MAX = 30
PAGE_MAX = 300
STATUS_ACTIONS = {"approve": "approved", "deny": "denied", "cancel": "canceled"}
LISTED_STATUSES = {
    "approved": ("approved",),
    "pending": ("pending",),
    # Zoom's listing knows only these three statuses; a canceled registration is no longer approved,
    # and is listed beside the denied ones here [U: where Zoom itself lists it]
    "denied": ("denied", "canceled"),
}


def _category(method: str, path: str) -> str:
    """Zoom's rate-limit category of a call (the API reference marks each endpoint)."""
    if "/report/" in path or "/past_" in path:
        return "Medium"
    if method == "POST" and path.rstrip("/").endswith(("/meetings", "/webinars", "/batch_registrants")):
        return "Medium"
    if method == "GET" and path.rstrip("/").endswith(("/meetings", "/webinars", "/registrants")):
        return "Medium"
    return "Light"


def _validation(field: str, message: str) -> ZoomError:
    error = ZoomError(400, 300, "Validation Failed.")
    error.errors = [{"field": field, "message": message}]  # type: ignore[attr-defined]
    return error


def _parse_time(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise _validation(field, "A start time is required.")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _validation(field, f"Invalid field: {value}.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class ZoomApi:
    def __init__(self, sim: ZoomSimulator) -> None:
        self.sim = sim

    @staticmethod
    def category(path: str, method: str = "GET") -> str:
        return _category(method, path)

    def routes(self) -> list[BaseRoute]:
        r = self._route
        routes: list[BaseRoute] = [
            Route("/v2/users", r(self.list_users), methods=["GET"]),
            Route("/v2/users/{user_id}", r(self.get_user), methods=["GET"]),
        ]
        for kind, plural in (("meeting", "meetings"), ("webinar", "webinars")):
            routes += [
                Route(f"/v2/users/{{user_id}}/{plural}", r(self.create(kind)), methods=["POST"]),
                Route(f"/v2/users/{{user_id}}/{plural}", r(self.list(kind)), methods=["GET"]),
                Route(f"/v2/{plural}/{{meeting_id}}", r(self.get(kind)), methods=["GET"]),
                Route(f"/v2/{plural}/{{meeting_id}}", r(self.patch(kind)), methods=["PATCH"]),
                Route(f"/v2/{plural}/{{meeting_id}}", r(self.delete(kind)), methods=["DELETE"]),
                Route(f"/v2/{plural}/{{meeting_id}}/status", r(self.status(kind)), methods=["PUT"]),
                Route(f"/v2/{plural}/{{meeting_id}}/registrants", r(self.register(kind)), methods=["POST"]),
                Route(f"/v2/{plural}/{{meeting_id}}/registrants", r(self.registrants(kind)), methods=["GET"]),
                Route(
                    f"/v2/{plural}/{{meeting_id}}/registrants/status",
                    r(self.registrant_status(kind)),
                    methods=["PUT"],
                ),
                Route(
                    f"/v2/{plural}/{{meeting_id}}/batch_registrants", r(self.batch(kind)), methods=["POST"]
                ),
                Route(
                    f"/v2/past_{plural}/{{meeting_id}}/instances", r(self.instances(kind)), methods=["GET"]
                ),
                Route(f"/v2/report/{plural}/{{rest:path}}", r(self.report(kind)), methods=["GET"]),
            ]
        return routes

    def _route(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            path = request.url.path
            root = request.scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            self.sim.calls.append((request.method, path))
            self.sim.reconcile(self.sim.clock.now())
            try:
                self.sim.authorize(request, _category(request.method, path))
                result = await handler(request)
            except ZoomError as exc:
                response = self.sim.error(exc)
                errors = getattr(exc, "errors", None)
                if errors:
                    response = JSONResponse(
                        {"code": exc.code, "message": exc.message, "errors": errors}, exc.status
                    )
                return response
            if isinstance(result, Response):
                return result
            status, body = result
            return Response(status_code=status) if body is None else JSONResponse(body, status)

        return endpoint

    @staticmethod
    async def _json(request: Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            raise ZoomError(400, 300, "Request Body should be a valid JSON object.") from None
        if not isinstance(body, dict):
            raise ZoomError(400, 300, "Request Body should be a valid JSON object.")
        return body

    # -- users --------------------------------------------------------------------------------------
    async def get_user(self, request: Request) -> Any:
        user = self.sim.state.user_or_404(request.path_params["user_id"])
        return 200, user.public(self.sim.account_id)

    async def list_users(self, request: Request) -> Any:
        users = [u.public(self.sim.account_id) for u in self.sim.state.users.values()]
        return 200, {"page_size": 300, "total_records": len(users), "next_page_token": "", "users": users}

    # -- meetings and webinars ------------------------------------------------------------------------
    def _public(self, meeting: ZoomMeeting, *, with_start_url: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "uuid": meeting.current.uuid if meeting.current else meeting.settings.get("_uuid", ""),
            "id": meeting.id,
            "host_id": meeting.host.id,
            "host_email": meeting.host.email,
            "topic": meeting.topic,
            "type": meeting.type,
            "status": meeting.status,
            "start_time": zoom_time(meeting.start_time),
            "duration": meeting.duration,
            "timezone": meeting.timezone,
            "agenda": meeting.agenda,
            "created_at": zoom_time(meeting.created_at),
            "join_url": self.sim.join_url(meeting),
            "password": meeting.password,
            "registration_url": f"{self.sim.public_base}/{meeting.kind}/register/{meeting.id}",
            "settings": {k: v for k, v in meeting.settings.items() if not k.startswith("_")},
        }
        if with_start_url:
            body["start_url"] = self.sim.start_url(meeting)
        return body

    def _apply(self, meeting: ZoomMeeting, body: dict[str, Any], kind: str) -> None:
        if "topic" in body:
            topic = str(body["topic"] or "")
            if not topic or len(topic) > 200:
                raise _validation("topic", "Topic must be 1 to 200 characters.")
            meeting.topic = topic
        if "type" in body:
            if body["type"] not in MEETING_TYPES[kind]:
                raise _validation("type", f"Invalid field: {body['type']}.")
            meeting.type = int(body["type"])
        if "start_time" in body:
            meeting.start_time = _parse_time(body["start_time"], "start_time")
        if "duration" in body:
            if not isinstance(body["duration"], int) or body["duration"] < 0:
                raise _validation("duration", "Duration must be a whole number of minutes.")
            meeting.duration = body["duration"]
        if "timezone" in body:
            meeting.timezone = str(body["timezone"] or "")
        if "agenda" in body:
            agenda = str(body["agenda"] or "")
            if len(agenda) > 2000:
                raise _validation("agenda", "Agenda may have at most 2000 characters.")
            meeting.agenda = agenda
        if isinstance(body.get("settings"), dict):
            meeting.settings.update(body["settings"])

    def create(self, kind: str) -> Handler:
        async def handler(request: Request) -> Any:
            host = self.sim.state.user_or_404(request.path_params["user_id"])
            if kind == "webinar" and not self.sim.webinar_plan:
                raise ZoomError(
                    400,
                    200,
                    "Webinar plan is missing. You must subscribe to the webinar plan and "
                    "enable webinar for this user in order to perform this action.",
                )
            body = await self._json(request)
            if "start_time" not in body:
                raise _validation("start_time", "A start time is required.")
            now = self.sim.clock.now()
            meeting = ZoomMeeting(
                id=self.sim.state.new_meeting_id(),
                kind=kind,
                host=host,
                topic="Zoom Meeting",
                type=MEETING_TYPES[kind][1] if kind == "meeting" else 5,
                start_time=now,
                duration=60,
                timezone="UTC",
                agenda="",
                settings={"approval_type": 2, "registration_type": 1, "_uuid": secrets.token_hex(8)},
                password=secrets.token_hex(3),
                created_at=now,
            )
            self._apply(meeting, body, kind)
            self.sim.count_meeting_write(host.id)
            self.sim.state.meetings[meeting.id] = meeting
            return 201, self._public(meeting, with_start_url=True)

        return handler

    def list(self, kind: str) -> Handler:
        async def handler(request: Request) -> Any:
            host = self.sim.state.user_or_404(request.path_params["user_id"])
            now = self.sim.clock.now()
            listed = [
                {
                    k: v
                    for k, v in self._public(m, with_start_url=False).items()
                    if k not in ("settings", "password")
                }
                for m in self.sim.state.meetings.values()
                if m.kind == kind
                and m.host.id == host.id
                and (
                    request.query_params.get("type", "scheduled") != "upcoming"
                    or m.start_time.timestamp() + m.duration * 60 >= now.timestamp()
                )
            ]
            plural = f"{kind}s"
            return 200, {
                "page_size": PAGE_MAX,
                "total_records": len(listed),
                "next_page_token": "",
                plural: listed,
            }

        return handler

    def get(self, kind: str) -> Handler:
        async def handler(request: Request) -> Any:
            meeting = self.sim.state.meeting(request.path_params["meeting_id"], kind)
            return 200, self._public(meeting, with_start_url=True)

        return handler

    def patch(self, kind: str) -> Handler:
        async def handler(request: Request) -> Any:
            meeting = self.sim.state.meeting(request.path_params["meeting_id"], kind)
            body = await self._json(request)
            self.sim.count_meeting_write(meeting.host.id)
            self._apply(meeting, body, kind)
            return 204, None

        return handler

    def delete(self, kind: str) -> Handler:
        async def handler(request: Request) -> Any:
            meeting = self.sim.state.meeting(request.path_params["meeting_id"], kind)
            if meeting.current is not None:
                self.sim.end_meeting(meeting)
            del self.sim.state.meetings[meeting.id]
            return 204, None

        return handler

    def status(self, kind: str) -> Handler:
        async def handler(request: Request) -> Any:
            meeting = self.sim.state.meeting(request.path_params["meeting_id"], kind)
            body = await self._json(request)
            if body.get("action") != "end":
                raise _validation("action", f"Invalid field: {body.get('action')}.")
            self.sim.end_meeting(meeting)
            return 204, None

        return handler

    # -- registrants ------------------------------------------------------------------------------------
    def _registrant(self, meeting: ZoomMeeting, item: Any, field: str) -> Registrant:
        if not isinstance(item, dict) or not str(item.get("email") or "").strip():
            raise _validation(f"{field}.email", "Email is required.")
        if not str(item.get("first_name") or "").strip():
            raise _validation(f"{field}.first_name", "First name is required.")
        email = str(item["email"]).strip()
        existing = meeting.registrant_by_email(email)
        if existing is not None:
            return existing  # registering the same email again gives the same registrant
        registrant = Registrant(
            id=secrets.token_urlsafe(16)[:22],
            email=email,
            first_name=str(item["first_name"]).strip(),
            last_name=str(item.get("last_name") or "").strip(),
            join_token=secrets.token_urlsafe(24),
        )
        meeting.registrants[registrant.id] = registrant
        return registrant

    def _check_registration(self, meeting: ZoomMeeting) -> None:
        if meeting.settings.get("approval_type") not in (0, 1):
            raise ZoomError(400, 3000, "Registration has not been enabled for this meeting.")

    def register(self, kind: str) -> Handler:
        async def handler(request: Request) -> Any:
            meeting = self.sim.state.meeting(request.path_params["meeting_id"], kind)
            self._check_registration(meeting)
            registrant = self._registrant(meeting, await self._json(request), "registrant")
            return 201, {
                "id": meeting.id,
                "registrant_id": registrant.id,
                "join_url": self.sim.join_url(meeting, registrant.join_token),
                "topic": meeting.topic,
                "start_time": zoom_time(meeting.start_time),
                "occurrences": [],
                "participant_pin_code": 0,
            }

        return handler

    def batch(self, kind: str) -> Handler:
        async def handler(request: Request) -> Any:
            meeting = self.sim.state.meeting(request.path_params["meeting_id"], kind)
            self._check_registration(meeting)
            body = await self._json(request)
            items = body.get("registrants")
            if not isinstance(items, list) or not items:
                raise _validation("registrants", "Registrants are required.")
            if len(items) > BATCH_MAX:
                raise _validation("registrants", f"At most {BATCH_MAX} registrants per request.")
            made = [self._registrant(meeting, item, f"registrants[{n}]") for n, item in enumerate(items)]
            return 201, {
                "registrants": [
                    {
                        "email": r.email,
                        "registrant_id": r.id,
                        "join_url": self.sim.join_url(meeting, r.join_token),
                        "participant_pin_code": 0,
                    }
                    for r in made
                ]
            }

        return handler

    def registrants(self, kind: str) -> Handler:
        async def handler(request: Request) -> Any:
            meeting = self.sim.state.meeting(request.path_params["meeting_id"], kind)
            wanted = request.query_params.get("status", "approved")
            if wanted not in LISTED_STATUSES:
                raise _validation("status", f"Invalid field: {wanted}.")
            listed = [
                {
                    "id": r.id,
                    "email": r.email,
                    "first_name": r.first_name,
                    "last_name": r.last_name,
                    "status": "denied" if r.status == "canceled" else r.status,
                    "join_url": self.sim.join_url(meeting, r.join_token),
                }
                for r in meeting.registrants.values()
                if r.status in LISTED_STATUSES[wanted]
            ]
            return 200, {
                "page_size": PAGE_MAX,
                "total_records": len(listed),
                "next_page_token": "",
                "registrants": listed,
            }

        return handler

    def registrant_status(self, kind: str) -> Handler:
        """Approve, deny or cancel up to 30 registrations; 204. A canceled registrant's personal
        join URL no longer lets them in."""

        async def handler(request: Request) -> Any:
            meeting = self.sim.state.meeting(request.path_params["meeting_id"], kind)
            body = await self._json(request)
            action = body.get("action")
            if action not in STATUS_ACTIONS:
                raise _validation("action", f"Invalid field: {action}. Use approve, cancel or deny.")
            items = body.get("registrants")
            if not isinstance(items, list) or not items:
                raise _validation("registrants", "Registrants are required.")
            if len(items) > BATCH_MAX:
                raise _validation("registrants", f"At most {BATCH_MAX} registrants per request.")
            chosen: list[Registrant] = []
            for n, item in enumerate(items):
                if not isinstance(item, dict) or not (item.get("id") or item.get("email")):
                    raise _validation(f"registrants[{n}]", "A registrant needs an id or an email.")
                found = meeting.registrants.get(str(item.get("id") or ""))
                if found is None and item.get("email"):
                    found = meeting.registrant_by_email(str(item["email"]))
                if found is not None:  # an unknown registrant has nothing to change [U]
                    chosen.append(found)
            for registrant in chosen:
                registrant.status = STATUS_ACTIONS[action]
            return 204, None

        return handler

    # -- past instances and the participants report ------------------------------------------------------
    def instances(self, kind: str) -> Handler:
        async def handler(request: Request) -> Any:
            meeting = self.sim.state.meeting(request.path_params["meeting_id"], kind)
            ended = [i for i in meeting.instances if i.end_time is not None]
            return 200, {"meetings": [{"uuid": i.uuid, "start_time": zoom_time(i.start_time)} for i in ended]}

        return handler

    def report(self, kind: str) -> Handler:
        async def handler(request: Request) -> Any:
            raw = request.scope.get("raw_path", b"").decode("latin-1").split("?", 1)[0]
            marker = f"/report/{kind}s/"
            rest = raw[raw.index(marker) + len(marker) :] if marker in raw else ""
            if not rest.endswith("/participants"):
                raise ZoomError(404, 3001, "Meeting does not exist.")
            key = self.sim.decode_report_key(rest[: -len("/participants")])
            _, instance = self.sim.state.instance(key, kind)
            try:
                size = min(max(int(request.query_params.get("page_size", "30")), 1), PAGE_MAX)
            except ValueError:
                raise _validation("page_size", "Invalid field: page_size.") from None
            now = self.sim.clock.now()
            offset = 0
            token = request.query_params.get("next_page_token", "")
            if token:
                cursor = self.sim.state.cursors.get(token)
                if (
                    cursor is None
                    or cursor.key != instance.uuid
                    or now - cursor.issued_at > PAGE_TOKEN_LIFETIME
                ):
                    raise ZoomError(400, 300, "The next page token is invalid or expired.")
                offset = cursor.offset
            rows = instance.segments[offset : offset + size]
            next_token = ""
            if offset + size < len(instance.segments):
                next_token = secrets.token_urlsafe(24)
                self.sim.state.cursors[next_token] = PageCursor(instance.uuid, offset + size, now)
            total = len(instance.segments)
            return 200, {
                "page_count": math.ceil(total / size) if total else 0,
                "page_size": size,
                "total_records": total,
                "next_page_token": next_token,
                "participants": [
                    {
                        "id": s.zoom_user_id,
                        "user_id": s.participant_id,
                        "participant_user_id": s.zoom_user_id,
                        "name": s.name,
                        "user_email": s.email,
                        "join_time": zoom_time(s.join_time),
                        "leave_time": zoom_time(s.leave_time or instance.end_time or now),
                        "duration": int(
                            ((s.leave_time or instance.end_time or now) - s.join_time).total_seconds()
                        ),
                        "registrant_id": s.registrant_id,
                        "failover": False,
                        "status": "in_meeting",
                        "customer_key": "",
                        "bo_mtg_id": "",
                    }
                    for s in rows
                ],
            }

        return handler
