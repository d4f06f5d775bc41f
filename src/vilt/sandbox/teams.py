"""Microsoft Teams through Microsoft Graph, in memory: the identity platform (both grant types and
a consent page), the directory, calendar events with a Teams meeting (``transactionId`` makes a
repeated create return the same event), online meetings found by ``JoinWebUrl``, attendance
reports that appear only once everyone has left, records paged with ``@odata.nextLink``, Graph's
error bodies, 429 with Retry-After, and the application access policy as a switch (403 without
it). Written from the Graph reference, independently of the adapter."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vilt.clock import Clock
from vilt.sandbox.control import JoinRequest, SimError, Simulator
from vilt.sandbox.faults import Fault
from vilt.sandbox.outbox import ClientFactory
from vilt.sandbox.teams_identity import APP_SCOPE, AccessToken, IdentityPlatform
from vilt.sandbox.teams_state import (
    DirectoryUser,
    GraphError,
    Presence,
    TeamsMeeting,
    TeamsState,
    graph_id,
    graph_time,
    new_guid,
)

Handler = Callable[[Request, DirectoryUser, AccessToken], Awaitable[tuple[int, Any]]]
_FILTER = re.compile(r"^\s*JoinWebUrl\s+eq\s+'(?P<url>(?:[^']|'')*)'\s*$", re.IGNORECASE)
FULL_PERMISSIONS = (
    "offline_access",
    "User.Read",
    "User.ReadBasic.All",
    "Calendars.ReadWrite",
    "OnlineMeetings.ReadWrite",
    "OnlineMeetingArtifact.Read.All",
)


class TeamsSimulator(Simulator):
    kind = "teams"
    exempt_from_faults = ("/_sim", "/l/")

    def __init__(
        self,
        clock: Clock,
        *,
        public_base: str = "http://teams.sim",
        outbound: ClientFactory | None = None,
        tenant_id: str = "0b6e3c1e-5a7d-4c1f-9e1a-7f4a2b9c8d10",
        client_id: str = "5f0c2d1a-1b2c-4d3e-8f90-a1b2c3d4e5f6",
        client_secret: str = "sim-teams-client-secret",  # noqa: S107 - a simulator's own secret
        page_size: int = 50,
        delegated_permissions: Sequence[str] = FULL_PERMISSIONS,
    ) -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.page_size = page_size
        self.delegated_permissions = frozenset(delegated_permissions)
        self.state = TeamsState(tenant_id)
        self.state.add_user("ada@teams.sim.test", "Ada Admin")
        self.identity = IdentityPlatform(self)
        super().__init__(clock, public_base=public_base, outbound=outbound)

    def api_routes(self) -> Sequence[BaseRoute]:
        g = self._graph
        routes: list[BaseRoute] = [
            *self.identity.routes(),
            Route("/v1.0/users", g(self._list_users, me=False), methods=["GET"]),
            Route("/l/meetup-join/{rest:path}", self._join_page, methods=["GET"]),
            Route("/_sim/users", self._add_user, methods=["POST"]),
            Route("/_sim/policy", self._policy, methods=["POST"]),
        ]
        for prefix, me in (("/v1.0/me", True), ("/v1.0/users/{user}", False)):
            routes += [
                Route(prefix, g(self._get_user, me=me), methods=["GET"]),
                Route(f"{prefix}/licenseDetails", g(self._licences, me=me), methods=["GET"]),
                Route(f"{prefix}/events", g(self._create_event, me=me), methods=["POST"]),
                Route(f"{prefix}/events/{{event_id}}", g(self._update_event, me=me), methods=["PATCH"]),
                Route(f"{prefix}/events/{{event_id}}", g(self._delete_event, me=me), methods=["DELETE"]),
                Route(
                    f"{prefix}/onlineMeetings", g(self._find_meetings, me=me, policy=True), methods=["GET"]
                ),
                Route(
                    f"{prefix}/onlineMeetings/{{meeting_id}}/attendanceReports",
                    g(self._reports, me=me, policy=True),
                    methods=["GET"],
                ),
                Route(
                    f"{prefix}/onlineMeetings/{{meeting_id}}/attendanceReports/{{report_id}}/attendanceRecords",
                    g(self._records, me=me, policy=True),
                    methods=["GET"],
                ),
            ]
        return routes

    def integration_settings(self) -> dict[str, str]:
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "tenant_id": self.tenant_id,
            "login_url": self.public_base,
            "graph_url": f"{self.public_base}/v1.0",
        }

    def reset(self) -> None:
        super().reset()
        self.state.meetings.clear()

    # -- Graph plumbing -------------------------------------------------------------------------------
    def _error(self, exc: GraphError) -> JSONResponse:
        now = self.clock.now().strftime("%Y-%m-%dT%H:%M:%S")
        body = {
            "error": {
                "code": exc.code,
                "message": exc.message,
                "innerError": {"date": now, "request-id": new_guid(), "client-request-id": new_guid()},
            }
        }
        return JSONResponse(body, exc.status, headers=exc.headers)

    def fault_response(self, fault: Fault, path: str) -> Response:
        status = fault.status or 500
        known = {
            401: ("InvalidAuthenticationToken", "Access token has expired or is not yet valid."),
            403: ("Forbidden", "Insufficient privileges to complete the operation."),
            404: ("itemNotFound", "The requested resource does not exist."),
            429: ("TooManyRequests", "Too many requests: the application is throttled."),
            503: ("serviceNotAvailable", "The service is temporarily unavailable."),
        }
        code, message = known.get(status, ("generalException", "An unexpected error occurred."))
        headers = {"Retry-After": str(fault.retry_after)} if status in (429, 503) else {}
        return self._error(GraphError(status, code, message, headers))

    def _graph(
        self, handler: Handler, *, me: bool, policy: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            path = request.url.path
            root = request.scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            self.calls.append((request.method, path))
            try:
                token = self._token(request)
                subject = self._subject(request, token, me=me, policy=policy)
                status, body = await handler(request, subject, token)
            except GraphError as exc:
                return self._error(exc)
            return Response(status_code=status) if body is None else JSONResponse(body, status)

        return endpoint

    def _token(self, request: Request) -> AccessToken:
        header = request.headers.get("authorization", "")
        value = header[7:] if header.lower().startswith("bearer ") else ""
        token = self.identity.tokens.get(value)
        if token is None:
            raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
        if token.expires <= self.clock.now():
            raise GraphError(
                401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired."
            )
        return token

    def _subject(self, request: Request, token: AccessToken, *, me: bool, policy: bool) -> DirectoryUser:
        """Whose data the path names; a delegated token only reaches its own user's meetings, an
        application token needs the access policy for online meetings."""
        if me:
            if token.user_id is None:
                raise GraphError(
                    400, "BadRequest", "/me request is only valid with delegated authentication flow."
                )
            key = token.user_id
        else:
            key = request.path_params.get("user", "")
        if not key:
            return DirectoryUser("", "", "")
        user = self.state.user(key)
        if user is None:
            raise GraphError(
                404,
                "Request_ResourceNotFound",
                f"Resource '{key}' does not exist or one of its queried reference-property objects "
                "are not present.",
            )
        if policy and token.user_id is None and not self.state.policy_granted:
            raise GraphError(403, "Forbidden", "No application access policy found for this app.")
        if policy and token.user_id is not None and token.user_id != user.id:
            raise GraphError(403, "Forbidden", "The user may only read their own online meetings.")
        return user

    @staticmethod
    async def _json(request: Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            raise GraphError(400, "BadRequest", "Unable to read JSON request payload.") from None
        if not isinstance(body, dict):
            raise GraphError(400, "BadRequest", "Unable to read JSON request payload.")
        return body

    # -- users ----------------------------------------------------------------------------------------
    async def _get_user(self, request: Request, user: DirectoryUser, token: AccessToken) -> tuple[int, Any]:
        return 200, user.public()

    async def _list_users(self, request: Request, user: DirectoryUser, token: AccessToken) -> tuple[int, Any]:
        top = int(request.query_params.get("$top", "100") or 100)
        return 200, {"value": [u.public() for u in list(self.state.users.values())[:top]]}

    async def _licences(self, request: Request, user: DirectoryUser, token: AccessToken) -> tuple[int, Any]:
        if not user.licensed:
            return 200, {"value": []}
        return 200, {
            "value": [
                {
                    "id": new_guid(),
                    "skuPartNumber": "ENTERPRISEPACK",
                    "servicePlans": [
                        {"servicePlanName": "TEAMS1", "provisioningStatus": "Success"},
                        {"servicePlanName": "EXCHANGE_S_ENTERPRISE", "provisioningStatus": "Success"},
                    ],
                }
            ]
        }

    # -- calendar events with a Teams meeting ---------------------------------------------------------------
    def _event(self, meeting: TeamsMeeting) -> dict[str, Any]:
        return {
            "id": meeting.event_id,
            "subject": meeting.subject,
            "body": {"contentType": "text", "content": meeting.body},
            "start": {"dateTime": graph_time(meeting.start)[:-1], "timeZone": "UTC"},
            "end": {"dateTime": graph_time(meeting.end)[:-1], "timeZone": "UTC"},
            "isOnlineMeeting": True,
            "onlineMeetingProvider": "teamsForBusiness",
            "onlineMeeting": {"joinUrl": meeting.join_url},
            "transactionId": meeting.transaction_id or None,
            "organizer": {
                "emailAddress": {"name": meeting.organizer.display_name, "address": meeting.organizer.mail}
            },
            "webLink": f"{self.public_base}/owa/?itemid={quote(meeting.event_id)}",
        }

    @staticmethod
    def _when(value: Any, field: str) -> datetime:
        if not isinstance(value, dict) or not isinstance(value.get("dateTime"), str):
            raise GraphError(400, "ErrorInvalidRequest", f"The {field} of the event is missing.")
        if value.get("timeZone", "UTC") not in ("UTC", "Etc/UTC"):
            raise GraphError(400, "ErrorTimeZoneNotSupported", "Only UTC is simulated.")
        try:
            parsed = datetime.fromisoformat(value["dateTime"].replace("Z", ""))
        except ValueError:
            raise GraphError(400, "ErrorInvalidRequest", f"The {field} dateTime is not valid.") from None
        return parsed.replace(tzinfo=UTC)

    def _apply(self, meeting: TeamsMeeting, body: dict[str, Any]) -> None:
        if "subject" in body:
            meeting.subject = str(body["subject"] or "")
        if isinstance(body.get("body"), dict):
            meeting.body = str(body["body"].get("content") or "")
        if "start" in body:
            meeting.start = self._when(body["start"], "start")
        if "end" in body:
            meeting.end = self._when(body["end"], "end")
        if meeting.end < meeting.start:
            raise GraphError(400, "ErrorInvalidRequest", "The event ends before it starts.")

    async def _create_event(
        self, request: Request, user: DirectoryUser, token: AccessToken
    ) -> tuple[int, Any]:
        if not user.licensed:
            raise GraphError(
                404,
                "MailboxNotEnabledForRESTAPI",
                "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
            )
        body = await self._json(request)
        existing = self.state.by_transaction(user, str(body.get("transactionId") or ""))
        if existing is not None:
            return 201, self._event(existing)
        if not body.get("isOnlineMeeting"):
            raise GraphError(
                400, "ErrorInvalidRequest", "The simulator only makes events with a Teams meeting."
            )
        now = self.clock.now()
        meeting_id = graph_id("MSo")
        thread = f"19%3ameeting_{graph_id()[:32]}%40thread.v2"
        context = quote(json.dumps({"Tid": self.tenant_id, "Oid": user.id}, separators=(",", ":")), safe="")
        meeting = TeamsMeeting(
            id=meeting_id,
            event_id=graph_id("AAMk"),
            organizer=user,
            subject="",
            body="",
            start=now,
            end=now,
            join_url=f"{self.public_base}/l/meetup-join/{thread}/0?context={context}",
            transaction_id=str(body.get("transactionId") or ""),
            created=now,
        )
        self._apply(meeting, body)
        self.state.meetings[meeting.id] = meeting
        return 201, self._event(meeting)

    async def _update_event(
        self, request: Request, user: DirectoryUser, token: AccessToken
    ) -> tuple[int, Any]:
        meeting = self.state.by_event(user, request.path_params["event_id"])
        self._apply(meeting, await self._json(request))
        return 200, self._event(meeting)

    async def _delete_event(
        self, request: Request, user: DirectoryUser, token: AccessToken
    ) -> tuple[int, Any]:
        meeting = self.state.by_event(user, request.path_params["event_id"])
        del self.state.meetings[meeting.id]
        return 204, None

    # -- online meetings and attendance -------------------------------------------------------------------
    def _online(self, meeting: TeamsMeeting) -> dict[str, Any]:
        return {
            "id": meeting.id,
            "subject": meeting.subject,
            "joinWebUrl": meeting.join_url,
            "startDateTime": graph_time(meeting.start),
            "endDateTime": graph_time(meeting.end),
            "creationDateTime": graph_time(meeting.created),
            "participants": {
                "organizer": {
                    "upn": meeting.organizer.upn,
                    "identity": {
                        "user": {"id": meeting.organizer.id, "displayName": meeting.organizer.display_name}
                    },
                }
            },
        }

    def _owned(self, user: DirectoryUser, meeting_id: str) -> TeamsMeeting:
        meeting = self.state.meetings.get(meeting_id)
        if meeting is None or meeting.organizer.id != user.id:
            raise GraphError(404, "NotFound", "The online meeting was not found.")
        return meeting

    async def _find_meetings(
        self, request: Request, user: DirectoryUser, token: AccessToken
    ) -> tuple[int, Any]:
        match = _FILTER.match(request.query_params.get("$filter", ""))
        if match is None:
            raise GraphError(
                400, "BadRequest", "Filter on JoinWebUrl is required: $filter=JoinWebUrl eq '...'."
            )
        url = match.group("url").replace("''", "'")
        found = [
            self._online(m)
            for m in self.state.meetings.values()
            if m.organizer.id == user.id and m.join_url == url
        ]
        return 200, {"value": found}

    async def _reports(self, request: Request, user: DirectoryUser, token: AccessToken) -> tuple[int, Any]:
        meeting = self._owned(user, request.path_params["meeting_id"])
        return 200, {
            "value": [
                {
                    "id": r.id,
                    "totalParticipantCount": len(r.records),
                    "meetingStartDateTime": graph_time(r.started),
                    "meetingEndDateTime": graph_time(r.ended),
                    "attendanceRecords": [],
                }
                for r in meeting.reports
            ]
        }

    async def _records(self, request: Request, user: DirectoryUser, token: AccessToken) -> tuple[int, Any]:
        meeting = self._owned(user, request.path_params["meeting_id"])
        report = next((r for r in meeting.reports if r.id == request.path_params["report_id"]), None)
        if report is None:
            raise GraphError(404, "NotFound", "The attendance report was not found.")
        skip = request.query_params.get("$skiptoken", "")
        try:
            offset = int(base64.urlsafe_b64decode(skip.encode()).decode()) if skip else 0
        except ValueError:
            raise GraphError(400, "BadRequest", "The $skiptoken is not valid.") from None
        page = report.records[offset : offset + self.page_size]
        body: dict[str, Any] = {"value": page}
        if offset + self.page_size < len(report.records):
            token_value = base64.urlsafe_b64encode(str(offset + self.page_size).encode()).decode()
            path = request.url.path.removeprefix(request.scope.get("root_path", ""))
            body["@odata.nextLink"] = f"{self.public_base}{path}?$skiptoken={token_value}"
        return 200, body

    # -- a browser opening the join URL ----------------------------------------------------------------
    async def _join_page(self, request: Request) -> Response:
        wanted = unquote(request.path_params["rest"]).lower()
        meeting = next(
            (
                m
                for m in self.state.meetings.values()
                if unquote(urlsplit(m.join_url).path).lower().endswith(f"/l/meetup-join/{wanted}")
            ),
            None,
        )
        if meeting is None:
            return HTMLResponse("<h1>This meeting link is not valid.</h1>", 404)
        return HTMLResponse(
            f"<!doctype html><title>{escape(meeting.subject)}</title><h1>{escape(meeting.subject)}</h1>"
            "<p>Simulated Microsoft Teams meeting. Teams knows you by your Microsoft sign-in; in the "
            f"sandbox, people join through <code>/_sim/meetings/{escape(meeting.id)}/join</code>.</p>"
        )

    # -- control API ---------------------------------------------------------------------------------------
    async def _add_user(self, request: Request) -> Response:
        async def run() -> Any:
            body = await self._body(request)
            email = str(body.get("email") or "").strip()
            if "@" not in email:
                raise SimError(400, "Give the user's email.")
            name = str(body.get("name") or email.split("@")[0])
            return self.state.add_user(email, name, licensed=bool(body.get("licensed", True))).public()

        return await self._guard(run)

    async def _policy(self, request: Request) -> Response:
        """The application access policy switch: ``{"granted": false}`` makes Graph refuse (403)."""

        async def run() -> Any:
            body = await self._body(request)
            self.state.policy_granted = bool(body.get("granted"))
            return {"granted": self.state.policy_granted}

        return await self._guard(run)

    def meetings(self) -> list[dict[str, Any]]:
        return [
            {
                "id": m.id,
                "event_id": m.event_id,
                "title": m.subject,
                "organizer": m.organizer.mail,
                "join_url": m.join_url,
                "state": "running" if m.running else ("ended" if m.reports else "created"),
                "reports": len(m.reports),
                "participants": [
                    {"user_id": p.id, "name": p.display_name, "email": p.email, "present": p.present}
                    for p in m.people.values()
                ],
            }
            for m in self.state.meetings.values()
        ]

    def join(self, meeting_id: str, request: JoinRequest) -> dict[str, Any]:
        meeting = self.state.meeting(meeting_id)
        member = (self.state.user(request.user_id) if request.user_id else None) or (
            self.state.user(request.email) if request.email else None
        )
        if member is not None:
            # a member signed in: Teams knows their Entra id; their email only if they gave it
            key, tenant, email = member.id, self.tenant_id, request.email
        else:
            key, tenant, email = request.user_id or new_guid(), None, request.email
        person = meeting.people.get(key)
        if person is None:
            role = (
                "Organizer"
                if member is not None and member.id == meeting.organizer.id
                else (
                    "Presenter" if request.role.lower() in ("host", "presenter", "moderator") else "Attendee"
                )
            )
            person = Presence(key, request.name, email, tenant, role)
            meeting.people[key] = person
        if not person.present:
            person.intervals.append([self.clock.now(), None])
        return {"user_id": person.id, "joined_at": graph_time(self.clock.now())}

    def leave(self, meeting_id: str, email: str | None, user_id: str | None) -> dict[str, Any]:
        meeting = self.state.meeting(meeting_id)
        member = self.state.user(email) if email else None
        person = meeting.find(email, user_id or (member.id if member else None))
        now = self.clock.now()
        if person.present:
            person.intervals[-1][1] = now
        self.state.emptied(meeting, now)
        return {"user_id": person.id, "left_at": graph_time(now)}

    def answer_polls(
        self, meeting_id: str, email: str | None, user_id: str | None, answered: int, asked: int
    ) -> dict[str, Any]:
        raise SimError(501, "Polls are not simulated for Teams: attendance reports carry no poll answers.")

    def end(self, meeting_id: str) -> dict[str, Any]:
        meeting = self.state.meeting(meeting_id)
        if not meeting.running:
            raise SimError(409, "Nobody is in this meeting.")
        now = self.clock.now()
        for person in meeting.people.values():
            if person.present:
                person.intervals[-1][1] = now
        report = self.state.emptied(meeting, now)
        return {"id": meeting_id, "ended_at": graph_time(now), "report": report.id if report else None}


__all__ = ["APP_SCOPE", "TeamsSimulator"]
