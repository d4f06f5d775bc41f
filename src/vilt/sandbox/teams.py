"""Microsoft Teams through Microsoft Graph, in memory: the identity platform (both grant types and
a consent page), the directory, calendar events with a Teams meeting (``transactionId`` makes a
repeated create return the same event), online meetings found by ``JoinWebUrl``, attendance
reports that appear only once everyone has left, records paged with ``@odata.nextLink``, Graph's
error bodies, 429 with Retry-After, and the application access policy as a switch (403 without
it). Written from the Graph reference, independently of the adapter."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any
from urllib.parse import unquote, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from vilt.clock import Clock
from vilt.sandbox.control import JoinRequest, SimError, Simulator
from vilt.sandbox.faults import Fault
from vilt.sandbox.outbox import ClientFactory
from vilt.sandbox.teams_graph import GraphApi
from vilt.sandbox.teams_identity import APP_SCOPE, IdentityPlatform
from vilt.sandbox.teams_state import (
    GraphError,
    Presence,
    TeamsState,
    graph_time,
    new_guid,
)

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
        self.graph = GraphApi(self)
        super().__init__(clock, public_base=public_base, outbound=outbound)

    def api_routes(self) -> Sequence[BaseRoute]:
        routes: list[BaseRoute] = [
            *self.identity.routes(),
            *self.graph.routes(),
            Route("/l/meetup-join/{rest:path}", self._join_page, methods=["GET"]),
            Route("/_sim/users", self._add_user, methods=["POST"]),
            Route("/_sim/policy", self._policy, methods=["POST"]),
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

    # -- Graph ----------------------------------------------------------------------------------------
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
        return self.graph.error(GraphError(status, code, message, headers))

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
