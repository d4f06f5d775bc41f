"""What the Zoom simulator holds: users, meetings and webinars with their registrants, the past
instances of each (a new UUID every time the meeting starts) and one report row per join segment.

Written from Zoom's published API reference, independently of the adapter."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from vilt.sandbox.control import SimError

ZAK_LIFETIME = timedelta(hours=2)
"""A host's start_url carries a zak that expires after two hours."""
PAGE_TOKEN_LIFETIME = timedelta(minutes=15)
"""A report's next_page_token expires 15 minutes after it was handed out."""


def zoom_time(when: datetime) -> str:
    """Zoom's timestamps: UTC, whole seconds, ``Z``."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def random_uuid() -> str:
    """A meeting instance UUID as Zoom writes it: 16 random bytes in base64 (it may contain ``/``)."""
    return base64.b64encode(secrets.token_bytes(16)).decode()


@dataclass
class ZoomUser:
    id: str
    email: str
    first_name: str
    last_name: str
    type: int = 2
    """1 basic, 2 licensed."""
    status: str = "active"

    def public(self, account_id: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "display_name": f"{self.first_name} {self.last_name}".strip(),
            "type": self.type,
            "status": self.status,
            "account_id": account_id,
            "role_name": "Member",
            "timezone": "UTC",
        }


@dataclass
class Registrant:
    id: str
    email: str
    first_name: str
    last_name: str
    join_token: str
    status: str = "approved"
    """approved, pending, denied, or canceled (``registrants/status`` with action cancel)."""

    @property
    def admitted(self) -> bool:
        """Only an approved registrant's personal join URL lets them in."""
        return self.status == "approved"


@dataclass
class Segment:
    """One report row: one join of one participant, closed by their leave or the end."""

    participant_id: str
    name: str
    email: str
    registrant_id: str
    zoom_user_id: str
    join_time: datetime
    leave_time: datetime | None = None


@dataclass
class Instance:
    uuid: str
    start_time: datetime
    end_time: datetime | None = None
    segments: list[Segment] = field(default_factory=list)

    def open_segment(self, email: str | None, registrant_id: str | None) -> Segment | None:
        for segment in reversed(self.segments):
            if segment.leave_time is not None:
                continue
            if (registrant_id and segment.registrant_id == registrant_id) or (
                email and segment.email.lower() == email.lower()
            ):
                return segment
        return None


@dataclass
class ZoomMeeting:
    id: int
    kind: str
    """``meeting`` or ``webinar``."""
    host: ZoomUser
    topic: str
    type: int
    start_time: datetime
    duration: int
    timezone: str
    agenda: str
    settings: dict[str, Any]
    password: str
    created_at: datetime
    zak: str = ""
    zak_expires: datetime | None = None
    registrants: dict[str, Registrant] = field(default_factory=dict)
    instances: list[Instance] = field(default_factory=list)

    @property
    def current(self) -> Instance | None:
        if self.instances and self.instances[-1].end_time is None:
            return self.instances[-1]
        return None

    @property
    def status(self) -> str:
        return "started" if self.current is not None else "waiting"

    def registrant_by_email(self, email: str) -> Registrant | None:
        """The live registration of an email; a canceled one is history, and registering the email
        again makes a new registrant with a new join URL."""
        wanted = email.strip().lower()
        return next(
            (r for r in self.registrants.values() if r.email.lower() == wanted and r.status != "canceled"),
            None,
        )

    def registrant_by_token(self, token: str) -> Registrant | None:
        return next((r for r in self.registrants.values() if r.join_token == token), None)


@dataclass
class PageCursor:
    """A next_page_token: where the next page starts, and when the token was handed out."""

    key: str
    offset: int
    issued_at: datetime


class ZoomState:
    """Users, meetings, webinars and past instances of one simulated Zoom account."""

    def __init__(self, account_id: str, uuid_factory: Callable[[], str] = random_uuid) -> None:
        self.account_id = account_id
        self.uuid_factory = uuid_factory
        self.users: dict[str, ZoomUser] = {}
        self.meetings: dict[int, ZoomMeeting] = {}
        self.cursors: dict[str, PageCursor] = {}
        self.writes: dict[tuple[str, str], int] = {}
        """(user id, UTC day) → meeting and webinar creates and updates, for the daily cap."""

    # -- users --------------------------------------------------------------------------------
    def add_user(self, email: str, name: str, *, owner: bool = False) -> ZoomUser:
        existing = self.user(email)
        if existing is not None:
            return existing
        first, _, last = name.strip().partition(" ")
        user = ZoomUser(
            id=secrets.token_urlsafe(16)[:22], email=email.strip(), first_name=first, last_name=last
        )
        if owner:
            self.owner_id = user.id
        self.users[user.id] = user
        return user

    def user(self, key: str) -> ZoomUser | None:
        if key == "me":
            return self.users.get(getattr(self, "owner_id", ""))
        wanted = key.strip().lower()
        return self.users.get(key) or next(
            (u for u in self.users.values() if u.email.lower() == wanted), None
        )

    def user_or_404(self, key: str) -> ZoomUser:
        user = self.user(key)
        if user is None:
            raise ZoomError(404, 1001, f"User does not exist: {key}.")
        return user

    # -- meetings -----------------------------------------------------------------------------
    def new_meeting_id(self) -> int:
        while True:
            candidate = 80_000_000_000 + secrets.randbelow(9_999_999_999)
            if candidate not in self.meetings:
                return candidate

    def meeting(self, meeting_id: str, kind: str) -> ZoomMeeting:
        found = self.meetings.get(int(meeting_id)) if meeting_id.isdigit() else None
        if found is None or found.kind != kind:
            if kind == "webinar":
                raise ZoomError(404, 3001, f"Webinar does not exist: {meeting_id}.")
            raise ZoomError(404, 3001, f"Meeting does not exist: {meeting_id}.")
        return found

    def any_meeting(self, meeting_id: str) -> ZoomMeeting:
        found = self.meetings.get(int(meeting_id)) if meeting_id.isdigit() else None
        if found is None:
            raise SimError(404, f"No meeting or webinar '{meeting_id}'.")
        return found

    def instance(self, key: str, kind: str) -> tuple[ZoomMeeting, Instance]:
        """The past instance a report path names: a meeting id (its latest ended instance) or an
        instance UUID."""
        if key.isdigit():
            meeting = self.meeting(key, kind)
            ended = [i for i in meeting.instances if i.end_time is not None]
            if not ended:
                raise ZoomError(404, 3001, f"Meeting does not exist: {key}.")
            return meeting, ended[-1]
        for meeting in self.meetings.values():
            for instance in meeting.instances:
                if instance.uuid == key and meeting.kind == kind and instance.end_time is not None:
                    return meeting, instance
        raise ZoomError(404, 3001, f"Meeting does not exist: {key}.")

    def start(self, meeting: ZoomMeeting, now: datetime) -> Instance:
        current = meeting.current
        if current is not None:
            return current
        instance = Instance(uuid=self.uuid_factory(), start_time=now)
        meeting.instances.append(instance)
        return instance

    def finish(self, meeting: ZoomMeeting, now: datetime) -> Instance | None:
        current = meeting.current
        if current is None:
            return None
        for segment in current.segments:
            if segment.leave_time is None:
                segment.leave_time = now
        current.end_time = now
        return current


class ZoomError(Exception):
    """Zoom's error body: ``{"code": ..., "message": ...}`` with an HTTP status."""

    def __init__(self, status: int, code: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
