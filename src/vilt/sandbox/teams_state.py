"""What the Teams (Microsoft Graph) simulator holds: one tenant's directory, calendar events with
their Teams meetings, who is in each meeting now, and the attendance reports Teams makes each time
a meeting empties. Written from the Graph reference, independently of the adapter."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from vilt.sandbox.control import SimError


def graph_time(when: datetime) -> str:
    """Graph's instants: UTC with seven fractional digits."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def graph_id(prefix: str = "") -> str:
    return prefix + base64.urlsafe_b64encode(secrets.token_bytes(24)).decode().rstrip("=")


class GraphError(Exception):
    """Graph's error body ``{"error": {"code", "message", "innerError"}}`` with an HTTP status."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


@dataclass
class DirectoryUser:
    id: str
    display_name: str
    mail: str
    licensed: bool = True

    @property
    def upn(self) -> str:
        return self.mail

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "displayName": self.display_name,
            "mail": self.mail,
            "userPrincipalName": self.upn,
        }


@dataclass
class Presence:
    """One person in a meeting: their joins and leaves since the meeting last emptied."""

    id: str
    display_name: str
    email: str | None
    tenant_id: str | None
    role: str
    intervals: list[list[datetime | None]] = field(default_factory=list)

    @property
    def present(self) -> bool:
        return bool(self.intervals) and self.intervals[-1][1] is None


@dataclass
class Report:
    id: str
    started: datetime
    ended: datetime
    records: list[dict[str, Any]]


@dataclass
class TeamsMeeting:
    id: str
    event_id: str
    organizer: DirectoryUser
    subject: str
    body: str
    start: datetime
    end: datetime
    join_url: str
    transaction_id: str
    created: datetime
    people: dict[str, Presence] = field(default_factory=dict)
    reports: list[Report] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return any(p.present for p in self.people.values())

    def find(self, email: str | None, user_id: str | None) -> Presence:
        for person in self.people.values():
            if (user_id and person.id == user_id) or (
                email and person.email and person.email.lower() == email.lower()
            ):
                return person
        raise SimError(404, "Nobody with that email or user_id is in this meeting.")


class TeamsState:
    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self.users: dict[str, DirectoryUser] = {}
        self.meetings: dict[str, TeamsMeeting] = {}
        self.policy_granted = True
        """The switch for Teams' application access policy (granted globally, or not at all)."""

    def add_user(self, email: str, name: str, *, licensed: bool = True) -> DirectoryUser:
        existing = self.user(email)
        if existing is not None:
            existing.licensed = licensed
            return existing
        user = DirectoryUser(id=str(_guid()), display_name=name, mail=email.strip(), licensed=licensed)
        self.users[user.id] = user
        return user

    def user(self, key: str) -> DirectoryUser | None:
        wanted = key.strip().lower()
        return self.users.get(key) or next((u for u in self.users.values() if u.mail.lower() == wanted), None)

    def meeting(self, meeting_id: str) -> TeamsMeeting:
        found = self.meetings.get(meeting_id)
        if found is None:
            raise SimError(404, f"No meeting '{meeting_id}'.")
        return found

    def by_event(self, organizer: DirectoryUser, event_id: str) -> TeamsMeeting:
        for meeting in self.meetings.values():
            if meeting.event_id == event_id and meeting.organizer.id == organizer.id:
                return meeting
        raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")

    def by_transaction(self, organizer: DirectoryUser, transaction_id: str) -> TeamsMeeting | None:
        if not transaction_id:
            return None
        return next(
            (
                m
                for m in self.meetings.values()
                if m.organizer.id == organizer.id and m.transaction_id == transaction_id
            ),
            None,
        )

    def emptied(self, meeting: TeamsMeeting, now: datetime) -> Report | None:
        """Teams makes an attendance report once the last person has left."""
        if meeting.running or not meeting.people:
            return None
        started = min(i[0] for p in meeting.people.values() for i in p.intervals if i[0] is not None)
        records = []
        for person in meeting.people.values():
            spans = [(a, b) for a, b in person.intervals if a is not None and b is not None]
            total = int(sum((b - a).total_seconds() for a, b in spans))
            records.append(
                {
                    "id": person.id,
                    "emailAddress": person.email,
                    "totalAttendanceInSeconds": total,
                    "role": person.role,
                    "identity": {
                        "id": person.id,
                        "displayName": person.display_name,
                        "tenantId": person.tenant_id,
                    },
                    "attendanceIntervals": [
                        {
                            "joinDateTime": graph_time(a),
                            "leaveDateTime": graph_time(b),
                            "durationInSeconds": int((b - a).total_seconds()),
                        }
                        for a, b in spans
                    ],
                }
            )
        report = Report(id=str(_guid()), started=started, ended=now, records=records)
        meeting.reports.append(report)
        meeting.people.clear()
        return report


def _guid() -> str:
    raw = secrets.token_hex(16)
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"


new_guid = _guid
