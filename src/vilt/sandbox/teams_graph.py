"""The Microsoft Graph v1.0 routes of the Teams simulator: the directory, calendar events with a
Teams meeting, online meetings found by JoinWebUrl, attendance reports and their records, with
Graph's error body, the token check and the application access policy."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vilt.sandbox.teams_identity import AccessToken
from vilt.sandbox.teams_state import DirectoryUser, GraphError, TeamsMeeting, graph_id, graph_time, new_guid

if TYPE_CHECKING:
    from vilt.sandbox.teams import TeamsSimulator

Handler = Callable[[Request, DirectoryUser, AccessToken], Awaitable[tuple[int, Any]]]
_FILTER = re.compile(r"^\s*JoinWebUrl\s+eq\s+'(?P<url>(?:[^']|'')*)'\s*$", re.IGNORECASE)


class GraphApi:
    def __init__(self, sim: TeamsSimulator) -> None:
        self.sim = sim

    def routes(self) -> list[BaseRoute]:
        g = self.route
        routes: list[BaseRoute] = [Route("/v1.0/users", g(self._list_users, me=False), methods=["GET"])]
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

    def error(self, exc: GraphError) -> JSONResponse:
        now = self.sim.clock.now().strftime("%Y-%m-%dT%H:%M:%S")
        body = {
            "error": {
                "code": exc.code,
                "message": exc.message,
                "innerError": {"date": now, "request-id": new_guid(), "client-request-id": new_guid()},
            }
        }
        return JSONResponse(body, exc.status, headers=exc.headers)

    def route(
        self, handler: Handler, *, me: bool, policy: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            path = request.url.path
            root = request.scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            self.sim.calls.append((request.method, path))
            try:
                token = self._token(request)
                subject = self._subject(request, token, me=me, policy=policy)
                status, body = await handler(request, subject, token)
            except GraphError as exc:
                return self.error(exc)
            return Response(status_code=status) if body is None else JSONResponse(body, status)

        return endpoint

    def _token(self, request: Request) -> AccessToken:
        header = request.headers.get("authorization", "")
        value = header[7:] if header.lower().startswith("bearer ") else ""
        token = self.sim.identity.tokens.get(value)
        if token is None:
            raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
        if token.expires <= self.sim.clock.now():
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
        user = self.sim.state.user(key)
        if user is None:
            raise GraphError(
                404,
                "Request_ResourceNotFound",
                f"Resource '{key}' does not exist or one of its queried reference-property objects "
                "are not present.",
            )
        if policy and token.user_id is None and not self.sim.state.policy_granted:
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
        return 200, {"value": [u.public() for u in list(self.sim.state.users.values())[:top]]}

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
            "webLink": f"{self.sim.public_base}/owa/?itemid={quote(meeting.event_id)}",
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
        existing = self.sim.state.by_transaction(user, str(body.get("transactionId") or ""))
        if existing is not None:
            return 201, self._event(existing)
        if not body.get("isOnlineMeeting"):
            raise GraphError(
                400, "ErrorInvalidRequest", "The simulator only makes events with a Teams meeting."
            )
        now = self.sim.clock.now()
        meeting_id = graph_id("MSo")
        thread = f"19%3ameeting_{graph_id()[:32]}%40thread.v2"
        context = quote(
            json.dumps({"Tid": self.sim.tenant_id, "Oid": user.id}, separators=(",", ":")), safe=""
        )
        meeting = TeamsMeeting(
            id=meeting_id,
            event_id=graph_id("AAMk"),
            organizer=user,
            subject="",
            body="",
            start=now,
            end=now,
            join_url=f"{self.sim.public_base}/l/meetup-join/{thread}/0?context={context}",
            transaction_id=str(body.get("transactionId") or ""),
            created=now,
        )
        self._apply(meeting, body)
        self.sim.state.meetings[meeting.id] = meeting
        return 201, self._event(meeting)

    async def _update_event(
        self, request: Request, user: DirectoryUser, token: AccessToken
    ) -> tuple[int, Any]:
        meeting = self.sim.state.by_event(user, request.path_params["event_id"])
        self._apply(meeting, await self._json(request))
        return 200, self._event(meeting)

    async def _delete_event(
        self, request: Request, user: DirectoryUser, token: AccessToken
    ) -> tuple[int, Any]:
        meeting = self.sim.state.by_event(user, request.path_params["event_id"])
        del self.sim.state.meetings[meeting.id]
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
        meeting = self.sim.state.meetings.get(meeting_id)
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
            for m in self.sim.state.meetings.values()
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
        page = report.records[offset : offset + self.sim.page_size]
        body: dict[str, Any] = {"value": page}
        if offset + self.sim.page_size < len(report.records):
            token_value = base64.urlsafe_b64encode(str(offset + self.sim.page_size).encode()).decode()
            path = request.url.path.removeprefix(request.scope.get("root_path", ""))
            body["@odata.nextLink"] = f"{self.sim.public_base}{path}?$skiptoken={token_value}"
        return 200, body
