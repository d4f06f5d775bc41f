"""Microsoft Teams adapter: a calendar event with a Teams meeting for each session (on the
signed-in user's calendar, or on each instructor's in application mode), one shared join URL,
attendance reports after the meeting emptied."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import quote

import structlog

from vilt.core.attendance import ParticipantReport
from vilt.core.launch import LaunchRole
from vilt.providers.base import (
    AttendanceFetch,
    Capability,
    CheckResult,
    ConnectionState,
    LinkResult,
    LiveStatus,
    MeetingRef,
    MeetingSpec,
    Person,
    ProviderContext,
    ProviderInfo,
    Registration,
)
from vilt.providers.errors import AuthExpired, Invalid, NotFound, Retriable, Unsupported
from vilt.providers.teams import mapping
from vilt.providers.teams.client import (
    AccessPolicyMissing,
    GraphClient,
    SignInRefused,
)
from vilt.providers.teams.config import AuthMode, TeamsSettings

log = structlog.get_logger(__name__)

INFO = ProviderInfo(
    kind="teams",
    title="Microsoft Teams",
    capabilities=frozenset(
        {
            Capability.MEETING,
            Capability.WEBINAR,
            Capability.UPDATE,
            Capability.LOCAL_JOIN_URL,
            Capability.ATTENDANCE_POLLING,
            Capability.OAUTH_LINK,
        }
    ),
    settings_model=TeamsSettings,
    concurrency=4,
    unsupported={
        "registrants": "A Teams meeting has one join URL for everybody; attendees are matched afterwards by "
        "email and Entra (Azure AD) id.",
        "start": "A Teams meeting starts when its organizer or a participant joins; Graph has no start call.",
        "end": "Microsoft Graph has no call that ends a scheduled Teams meeting for everyone; it ends when "
        "the last person leaves.",
        "live_status": "Microsoft Graph does not list who is in a running meeting (a calling bot would).",
        "attendance_callback": "Teams does not push attendance; Vilt reads the attendance reports after the "
        "meeting, every 5 minutes for an hour.",
        "webhooks": "Graph change notifications are not used: attendance reports are polled after the end.",
        "polls": "Teams attendance reports carry no poll answers.",
        "link_existing": "Vilt creates its own Teams meetings; linking an existing one is not supported.",
    },
    docs_url="https://learn.microsoft.com/graph/api/resources/onlinemeeting",
    integration_defaults={"non_attendee_policy": "failed"},
)

REQUIRED_SCOPES = ("Calendars.ReadWrite", "OnlineMeetings.ReadWrite", "OnlineMeetingArtifact.Read.All")
PROBE_URL = "https://teams.microsoft.com/l/meetup-join/vilt-check"


def _failed(
    reason: str, field: str | None = None, state: ConnectionState = ConnectionState.ERROR
) -> CheckResult:
    return CheckResult(False, state, reason, field)


def _label(user: Mapping[str, Any]) -> str:
    name = str(user.get("displayName") or "").strip()
    login = str(user.get("userPrincipalName") or user.get("mail") or "").strip()
    return f"{name} ({login})" if name and login else name or login or "a Microsoft 365 user"


class TeamsAdapter:
    info: ClassVar[ProviderInfo] = INFO

    def __init__(self, settings: TeamsSettings, context: ProviderContext) -> None:
        self.settings = settings
        self._context = context
        self._http = context.http.client(proxy=context.proxy)
        self.graph = GraphClient(self._http, settings, context.clock, context.grant, context.state)

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def delegated(self) -> bool:
        return self.settings.auth_mode == AuthMode.DELEGATED

    # -- check and sign-in ------------------------------------------------------------------------
    async def check(self) -> CheckResult:
        if self.delegated:
            return await self._check_delegated()
        return await self._check_application()

    async def _check_delegated(self) -> CheckResult:
        if not self.graph.grant.get("refresh_token"):
            return _failed(
                "Nobody has signed in yet: a user with a Microsoft 365 licence clicks "
                '"Sign in to Microsoft".',
                state=ConnectionState.NOT_LINKED,
            )
        try:
            me = await self.graph.json(
                "GET", "/me", params={"$select": "id,displayName,userPrincipalName,mail"}
            )
        except SignInRefused as exc:
            state = ConnectionState.NEEDS_REAUTH if exc.field is None else ConnectionState.ERROR
            return _failed(exc.reason, exc.field, state)
        except AuthExpired as exc:
            return _failed(exc.reason, state=ConnectionState.NEEDS_REAUTH)
        except (Retriable, Invalid, NotFound) as exc:
            return _failed(f"Could not reach Microsoft: {exc.reason}")
        return CheckResult(True, ConnectionState.LINKED, "Signed in.", account_label=_label(me))

    async def _check_application(self) -> CheckResult:
        try:
            await self.graph.token()
        except SignInRefused as exc:
            return _failed(exc.reason, exc.field)
        except (Retriable, Invalid, NotFound, AuthExpired) as exc:
            return _failed(f"Could not get a token from {self.settings.login_url}: {exc.reason}", "login_url")
        try:
            page = await self.graph.json(
                "GET", "/users", params={"$top": "1", "$select": "id,displayName,userPrincipalName,mail"}
            )
            users = page.get("value") or []
            if users:
                # any user will do: without the policy Graph refuses online meetings for everyone
                await self.graph.json(
                    "GET",
                    f"/users/{users[0]['id']}/onlineMeetings",
                    params={"$filter": mapping.filter_by_join_url(PROBE_URL)},
                )
        except AccessPolicyMissing as exc:
            return _failed(exc.reason, "client_id")
        except (Invalid, AuthExpired) as exc:
            return _failed(exc.reason, "client_id")
        except (Retriable, NotFound) as exc:
            return _failed(f"Could not reach Microsoft Graph: {exc.reason}", "graph_url")
        domain = str(users[0].get("userPrincipalName") or "@").split("@")[-1] if users else ""
        label = f"Tenant {domain or self.settings.tenant_id} (application access)"
        return CheckResult(True, ConnectionState.LINKED, "Connected.", account_label=label)

    def authorize_url(self, state: str, redirect_uri: str) -> str:
        if not self.delegated:
            raise Unsupported(
                "Sign in to Microsoft", "In application mode the app's own credentials are used."
            )
        return self.graph.authorize_url(state, redirect_uri)

    async def complete_link(self, code: str, redirect_uri: str) -> LinkResult:
        tokens = await self.graph.redeem_code(code, redirect_uri)
        granted = {s.lower() for s in str(tokens.get("scope") or "").split()}
        missing = [s for s in REQUIRED_SCOPES if s.lower() not in granted]
        if missing:
            raise Invalid(
                f"The sign-in did not grant {', '.join(missing)}; add these delegated permissions to the app "
                "registration (with admin consent) and sign in again."
            )
        refresh = str(tokens.get("refresh_token") or "")
        if not refresh:
            raise Invalid("The sign-in gave no refresh token; the app must allow offline_access.")
        me = await self.graph.json("GET", "/me", params={"$select": "id,displayName,userPrincipalName,mail"})
        label = _label(me)
        licences = await self.graph.json("GET", "/me/licenseDetails")
        if not licences.get("value"):
            raise Invalid(
                f"{label} has no Microsoft 365 licence, so Teams cannot hold meetings on their calendar; "
                "sign in with a licensed user."
            )
        log.info("teams.signed_in", user=str(me.get("id") or ""))
        return LinkResult(
            {"refresh_token": refresh, "user_id": str(me.get("id") or ""), "user": label}, label
        )

    # -- meetings ---------------------------------------------------------------------------------
    async def _organizer(self, spec: MeetingSpec) -> str:
        """The path of the calendar the meeting goes to: the signed-in user's, or the instructor's."""
        if self.delegated:
            return "/me"
        email = spec.host.email if spec.host is not None else None
        if not email:
            raise Invalid(
                "In application mode a Teams meeting is created on an instructor's calendar: give the "
                "session an instructor with a Microsoft 365 account.",
                "instructor_ids",
            )
        try:
            user = await self.graph.json(
                "GET", f"/users/{quote(email, safe='@')}", params={"$select": "id,displayName,mail"}
            )
        except NotFound:
            raise Invalid(
                f"{email} has no Microsoft 365 account in this tenant, so Teams cannot hold the meeting on "
                "their calendar; choose an instructor with a licence.",
                "instructor_ids",
            ) from None
        return f"/users/{user['id']}"

    async def create_meeting(self, spec: MeetingSpec) -> MeetingRef:
        base = await self._organizer(spec)
        try:
            event = await self.graph.json("POST", f"{base}/events", json=mapping.event_body(spec))
        except NotFound as exc:
            who = (
                "The signed-in user"
                if self.delegated
                else (spec.host.email if spec.host else "The organizer")
            )
            raise Invalid(
                f"{who} has no Exchange Online mailbox, so Teams cannot put the meeting on their calendar: "
                f"a Microsoft 365 licence with Exchange and Teams is needed ({exc.reason}).",
                None if self.delegated else "instructor_ids",
            ) from None
        join = mapping.join_url(event)
        if not event.get("id") or not join:
            raise Retriable("Teams created the calendar event but gave no Teams meeting with it yet.")
        found = await self.graph.json(
            "GET", f"{base}/onlineMeetings", params={"$filter": mapping.filter_by_join_url(join)}
        )
        meetings = found.get("value") or []
        if not meetings:
            # the event exists; the next try finds it again through its transactionId
            raise Retriable("Teams has not made the online meeting of the new event available yet.")
        return MeetingRef(
            str(meetings[0]["id"]), {"event_id": str(event["id"]), "organizer": base, "join_url": join}
        )

    async def update_meeting(self, ref: MeetingRef, spec: MeetingSpec) -> MeetingRef:
        base = str(ref.data.get("organizer") or "/me")
        if not self.delegated and await self._organizer(spec) != base:
            # another instructor: Graph cannot move an event between calendars, so the meeting is
            # made on the new organizer's calendar (a new join URL) and the old event deleted
            moved = await self.create_meeting(spec)
            await self.delete_meeting(ref)
            log.info("teams.meeting_moved_to_new_organizer", old=ref.ref, new=moved.ref)
            return moved
        try:
            await self.graph.call(
                "PATCH", f"{base}/events/{ref.data['event_id']}", json=mapping.update_body(spec)
            )
        except NotFound:
            log.info("teams.event_gone_recreating", meeting=ref.ref)
            return await self.create_meeting(spec)
        return ref

    async def delete_meeting(self, ref: MeetingRef) -> None:
        base = str(ref.data.get("organizer") or "/me")
        event_id = ref.data.get("event_id")
        if not event_id:
            return
        try:
            await self.graph.call("DELETE", f"{base}/events/{event_id}")
        except NotFound:
            return

    async def end_meeting(self, ref: MeetingRef) -> None:
        raise Unsupported("Ending a meeting", INFO.unsupported["end"])

    async def live_status(self, ref: MeetingRef) -> LiveStatus:
        raise Unsupported("Live status", INFO.unsupported["live_status"])

    async def register(self, ref: MeetingRef, people: Sequence[Person]) -> list[Registration]:
        raise Unsupported("Registrants", INFO.unsupported["registrants"])

    def join_url(self, ref: MeetingRef, person: Person, role: LaunchRole) -> str | None:
        # one joinWebUrl for everybody: Teams knows the organizer by their Microsoft sign-in
        return str(ref.data.get("join_url") or "") or None

    async def host_url(self, ref: MeetingRef, person: Person) -> str:
        url = self.join_url(ref, person, LaunchRole.HOST)
        if url is None:
            raise Retriable("The Teams meeting has no join URL yet.")
        return url

    # -- attendance -------------------------------------------------------------------------------
    async def fetch_attendance(self, ref: MeetingRef, spec: MeetingSpec) -> AttendanceFetch:
        if not self.settings.attendance_sync:
            return AttendanceFetch(
                ready=False, reason="Receiving attendance from Teams is off for this integration."
            )
        base = f"{ref.data.get('organizer') or '/me'}/onlineMeetings/{ref.ref}/attendanceReports"
        listed = [r async for r in self.graph.pages(base)]
        chosen = mapping.session_reports(listed, spec)
        if not chosen:
            return AttendanceFetch(
                ready=False,
                reason="Teams has no attendance report yet: it makes one once everyone has left the meeting.",
            )
        records: list[dict[str, Any]] = []
        for report_id in chosen:
            records += [r async for r in self.graph.pages(f"{base}/{report_id}/attendanceRecords")]
        emails = await self._emails(records)
        reports: list[ParticipantReport] = [
            mapping.record_report(r, emails.get(mapping.needs_email(r, self.settings.tenant_id) or ""))
            for r in records
        ]
        return AttendanceFetch(
            ready=True,
            reports=mapping.participant_reports(reports),
            raw={"reports": [r for r in listed if str(r.get("id")) in chosen], "records": records},
        )

    async def _emails(self, records: Sequence[Mapping[str, Any]]) -> dict[str, str]:
        """Members of the tenant whose record has no email: their email from the directory (by Entra
        id), so they match a learner anyway."""
        found: dict[str, str] = {}
        for record in records:
            user_id = mapping.needs_email(record, self.settings.tenant_id)
            if user_id is None or user_id in found:
                continue
            try:
                user = await self.graph.json(
                    "GET", f"/users/{user_id}", params={"$select": "id,mail,userPrincipalName"}
                )
            except (NotFound, Invalid) as exc:
                # a guest, a deleted user, or no permission to read users: matched by name only
                log.info("teams.email_lookup_failed", reason=exc.reason)
                continue
            email = str(user.get("mail") or user.get("userPrincipalName") or "")
            if email:
                found[user_id] = email
        return found
