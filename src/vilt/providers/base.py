"""The one provider protocol, its capability flags and the values that cross it.

Every adapter implements :class:`Provider`. What a provider cannot do is declared in
``ProviderInfo.capabilities`` (and explained in ``unsupported``); calling a method for a missing
capability raises :class:`Unsupported`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, SecretStr

from vilt.clock import Clock
from vilt.core.attendance import ParticipantReport
from vilt.core.launch import LaunchRole
from vilt.core.sessions import EventKind
from vilt.providers.errors import (
    AuthExpired,
    Invalid,
    NotFound,
    ProviderError,
    RateLimited,
    Retriable,
    Unsupported,
)
from vilt.providers.http import HttpEnvironment

__all__ = [
    "AttendanceFetch",
    "AuthExpired",
    "CancelsRegistrations",
    "Capability",
    "CheckResult",
    "ConnectionState",
    "Invalid",
    "LinkResult",
    "Linking",
    "LiveStatus",
    "MeetingRef",
    "MeetingSpec",
    "MemoryState",
    "NotFound",
    "Person",
    "Provider",
    "ProviderContext",
    "ProviderError",
    "ProviderInfo",
    "ProviderSettings",
    "ProviderState",
    "RateLimited",
    "Registrant",
    "Registration",
    "Retriable",
    "Unsupported",
]


class Capability(StrEnum):
    MEETING = "meeting"
    """Hosts events of kind ``meeting``."""
    WEBINAR = "webinar"
    """Hosts events of kind ``webinar``."""
    UPDATE = "update"
    """A scheduled meeting can be changed in place."""
    REGISTRANTS = "registrants"
    """Learners are registered ahead and get personal join URLs."""
    LOCAL_JOIN_URL = "local_join_url"
    """Join URLs are computed locally (a checksum or a signed token); no call at launch."""
    START = "start"
    """The provider has an explicit start call."""
    END = "end"
    """The provider has an explicit end call."""
    LIVE_STATUS = "live_status"
    """The provider says whether a meeting runs and who is in it right now."""
    ATTENDANCE_POLLING = "attendance_polling"
    """Attendance can be fetched after the end."""
    ATTENDANCE_CALLBACK = "attendance_callback"
    """The provider pushes attendance to us (callback or webhook)."""
    WEBHOOKS = "webhooks"
    POLLS = "polls"
    """Poll answers per participant are reported."""
    OAUTH_LINK = "oauth_link"
    """The account is linked through the provider's consent page."""
    LINK_EXISTING = "link_existing"
    """An existing provider meeting can be linked by its key."""


class ConnectionState(StrEnum):
    NOT_LINKED = "not_linked"
    LINKED = "linked"
    NEEDS_REAUTH = "needs_reauth"
    ERROR = "error"


class ProviderSettings(BaseModel):
    """Base of each provider's typed settings; secrets are ``SecretStr`` fields."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    def account_key(self) -> str:
        """Identifies the provider account, so one account links to one integration only."""
        raise NotImplementedError

    @classmethod
    def secret_fields(cls) -> list[str]:
        return [
            name
            for name, info in cls.model_fields.items()
            if info.annotation is SecretStr or info.annotation == (SecretStr | None)
        ]

    def links_by_consent(self) -> bool | None:
        """Whether these settings are proven by a sign-in on the provider's consent page instead
        of a check before saving; None means "as the provider's ``oauth_link`` capability says"."""
        return None

    @classmethod
    def link_fields(cls) -> frozenset[str]:
        """The settings a consent is given for: changing one of them after signing in means the
        sign-in is void ("configuration was changed")."""
        return frozenset(cls.model_fields)

    def public_values(self) -> dict[str, Any]:
        """The settings without their secrets, safe for responses, pages and logs."""
        return self.model_dump(mode="json", exclude=set(self.secret_fields()))

    def secret_values(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for name in self.secret_fields():
            secret = getattr(self, name)
            if secret is not None:
                values[name] = secret.get_secret_value()
        return values


@dataclass(frozen=True)
class ProviderInfo:
    kind: str
    title: str
    capabilities: frozenset[Capability]
    settings_model: type[ProviderSettings]
    concurrency: int
    """At most this many calls to one provider account at a time."""
    unsupported: Mapping[str, str] = field(default_factory=dict)
    """Features this provider lacks, each with the reason shown to users."""
    docs_url: str | None = None
    integration_defaults: Mapping[str, Any] = field(default_factory=dict)
    """Defaults a new integration of this kind starts with, where they differ from Vilt's
    (Teams: non-attendees are marked failed)."""

    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def supports_kind(self, kind: EventKind) -> bool:
        return Capability(kind.value) in self.capabilities


@dataclass(frozen=True)
class Person:
    """Someone entering a meeting, as Vilt identifies them to the provider."""

    identity: str
    """The identity Vilt binds: BBB ``userID``, our key for a registrant..."""
    name: str
    email: str | None = None


@dataclass(frozen=True)
class MeetingSpec:
    """What a session asks of its provider meeting."""

    session_key: str
    """Our stable id for the session; makes create idempotent."""
    title: str
    kind: EventKind
    starts_at: datetime
    duration: timedelta
    time_zone: str
    description: str = ""
    host: Person | None = None
    capacity: int | None = None
    keep_alive: timedelta = timedelta(hours=2)
    """How long after the scheduled end the meeting may still run (Vilt auto-ends then)."""
    callback_urls: Mapping[str, str] = field(default_factory=dict)
    """Where the provider should call us back, by purpose (``analytics``, ``end``...)."""

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + self.duration


@dataclass(frozen=True)
class MeetingRef:
    """A meeting on the provider: its id and what we need to reach it later."""

    ref: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Registration:
    identity: str
    registrant_id: str
    join_url: str


@dataclass(frozen=True)
class Registrant:
    """A registration made earlier that is to be canceled on the provider."""

    registrant_id: str
    email: str | None = None
    """The learner's email now, when known (Zoom accepts it beside the id)."""


@dataclass(frozen=True)
class LiveStatus:
    exists: bool
    running: bool
    started_at: datetime | None = None
    ended_at: datetime | None = None
    present: Sequence[ParticipantReport] = ()
    """Who is in the meeting now (intervals empty)."""
    data: Mapping[str, Any] = field(default_factory=dict)
    """Changed provider data (e.g. a new createTime after a re-create)."""


@dataclass(frozen=True)
class AttendanceFetch:
    ready: bool
    reports: Sequence[ParticipantReport] = ()
    raw: Any = None
    reason: str = ""
    """Why attendance is not ready yet, when it is not."""


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    state: ConnectionState
    reason: str
    """A sentence for the administrator."""
    field: str | None = None
    """The setting at fault, when one is."""
    account_label: str | None = None
    """Who or what the credentials belong to (server version, signed-in user...)."""
    linked_until: datetime | None = None


class ProviderState(Protocol):
    """What an adapter keeps beyond its own memory, per integration: a renewed OAuth grant, and
    daily quota counts that every worker process must see."""

    async def save_grant(self, grant: Mapping[str, str]) -> None:
        """Store a renewed grant (e.g. a rotated refresh token), encrypted like every secret."""
        ...

    async def take_quota(self, quota: str, subject: str, day: str, limit: int) -> int | None:
        """Count one use of ``quota`` by ``subject`` on ``day``: the new count, or None (nothing
        counted) when ``limit`` uses were counted already."""
        ...

    async def release_quota(self, quota: str, subject: str, day: str) -> None:
        """Give back one use (the call it was taken for did not happen)."""
        ...


class MemoryState:
    """A ProviderState in memory: for settings checked before they are saved, and for tests."""

    def __init__(self) -> None:
        self.grant: dict[str, str] = {}
        self.quotas: dict[tuple[str, str, str], int] = {}

    async def save_grant(self, grant: Mapping[str, str]) -> None:
        self.grant = dict(grant)

    async def take_quota(self, quota: str, subject: str, day: str, limit: int) -> int | None:
        key = (quota, subject, day)
        used = self.quotas.get(key, 0)
        if used >= limit:
            return None
        self.quotas[key] = used + 1
        return used + 1

    async def release_quota(self, quota: str, subject: str, day: str) -> None:
        key = (quota, subject, day)
        self.quotas[key] = max(0, self.quotas.get(key, 0) - 1)


@dataclass(frozen=True)
class ProviderContext:
    """What every adapter receives besides its settings."""

    http: HttpEnvironment
    clock: Clock
    base_url: str
    proxy: str | None = None
    """The integration's egress proxy: every call to the provider goes through it."""
    grant: Mapping[str, str] = field(default_factory=dict)
    """What a consent sign-in left (a refresh token, who signed in), decrypted; empty if none."""
    state: ProviderState = field(default_factory=MemoryState)


class Provider(Protocol):
    """One linked provider account. Methods raise the errors in ``vilt.providers.errors``."""

    info: ClassVar[ProviderInfo]

    async def check(self) -> CheckResult:
        """A real call that proves the settings work, with a specific reason when not."""
        ...

    async def create_meeting(self, spec: MeetingSpec) -> MeetingRef:
        """Create the meeting; calling it again for the same ``session_key`` creates nothing new."""
        ...

    async def update_meeting(self, ref: MeetingRef, spec: MeetingSpec) -> MeetingRef: ...

    async def delete_meeting(self, ref: MeetingRef) -> None:
        """Remove or cancel the meeting; a meeting already gone is not an error."""
        ...

    async def end_meeting(self, ref: MeetingRef) -> None: ...

    async def live_status(self, ref: MeetingRef) -> LiveStatus: ...

    async def fetch_attendance(self, ref: MeetingRef, spec: MeetingSpec) -> AttendanceFetch: ...

    async def register(self, ref: MeetingRef, people: Sequence[Person]) -> list[Registration]: ...

    def join_url(self, ref: MeetingRef, person: Person, role: LaunchRole) -> str | None:
        """A launch URL computed locally, without I/O, or None if this provider cannot."""
        ...

    async def host_url(self, ref: MeetingRef, person: Person) -> str:
        """A fresh host URL for an instructor (may call the provider)."""
        ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class LinkResult:
    """A finished consent sign-in."""

    grant: Mapping[str, str]
    """What to keep, encrypted, for later calls (a refresh token...)."""
    account_label: str
    """Who signed in, shown to administrators."""
    linked_until: datetime | None = None


@runtime_checkable
class Linking(Protocol):
    """An adapter whose account is linked through the provider's consent page (``oauth_link``)."""

    def authorize_url(self, state: str, redirect_uri: str) -> str:
        """The provider's consent page; it comes back to ``redirect_uri`` with a code and ``state``."""
        ...

    async def complete_link(self, code: str, redirect_uri: str) -> LinkResult:
        """Exchange the code; raise ``Invalid`` (with the reason) when the sign-in cannot be used."""
        ...


@runtime_checkable
class CancelsRegistrations(Protocol):
    """An adapter with ``registrants`` that can also cancel a registration, so the personal join
    URL of a learner whose enrollment was canceled stops admitting them."""

    async def cancel_registrations(self, ref: MeetingRef, registrants: Sequence[Registrant]) -> list[str]:
        """Cancel these registrations (in the provider's batch size); return the registrant ids
        canceled: all of them, or those of the batches done before a later batch failed (the rest
        is retried). A meeting the provider no longer has leaves nothing to cancel: all count as
        canceled. Failures raise the shared errors."""
        ...
