"""Typed SQLAlchemy models. Every row belongs to exactly one account."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from vilt.storage.types import JSONType, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    # SQLAlchemy reads this as a class attribute
    type_annotation_map = {  # noqa: RUF012
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
    }


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class WorkColumns:
    """What the worker needs on a row with background work (DESIGN: reconciliation)."""

    due_at: Mapped[datetime | None] = mapped_column(index=True)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255))
    one_webinar_service: Mapped[bool] = mapped_column(Boolean, default=False)
    """Policy: only one provider kind may be active at a time."""
    created_at: Mapped[datetime]


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("account_id", "name"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("account_id", "email_normalized"),
        Index("ix_users_account_name_key", "account_id", "name_key"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    email_normalized: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(255))
    name_key: Mapped[str] = mapped_column(String(255), default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    locale: Mapped[str] = mapped_column(String(16), default="en")
    roles: Mapped[list[Any]] = mapped_column(default=list)
    lms_id: Mapped[str | None] = mapped_column(String(255))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class UserEmail(Base):
    """Every address a user is known by: the primary one and the aliases."""

    __tablename__ = "user_emails"
    __table_args__ = (UniqueConstraint("account_id", "email_normalized"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email_normalized: Mapped[str] = mapped_column(String(320))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)


class UserIdentity(Base):
    """An external id: an LTI ``sub`` per platform issuer, an LMS's own id."""

    __tablename__ = "user_identities"
    __table_args__ = (UniqueConstraint("account_id", "issuer", "subject"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(512))
    subject: Mapped[str] = mapped_column(String(255))


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Integration(WorkColumns, Base):
    __tablename__ = "integrations"
    __table_args__ = (UniqueConstraint("kind", "account_key"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    secrets: Mapped[str] = mapped_column(Text, default="")
    """Encrypted (MultiFernet) JSON of the secret settings."""
    account_key: Mapped[str] = mapped_column(String(512))
    connection_state: Mapped[str] = mapped_column(String(32), default="not_linked")
    state_reason: Mapped[str | None] = mapped_column(Text)
    account_label: Mapped[str | None] = mapped_column(String(255))
    linked_until: Mapped[datetime | None]
    checked_at: Mapped[datetime | None]
    healthy: Mapped[bool] = mapped_column(Boolean, default=True)
    max_learners: Mapped[int | None] = mapped_column(Integer)
    learner_lead_minutes: Mapped[int] = mapped_column(Integer, default=15)
    instructor_lead_minutes: Mapped[int] = mapped_column(Integer, default=30)
    auto_end_minutes: Mapped[int] = mapped_column(Integer, default=120)
    provider_notifications: Mapped[bool] = mapped_column(Boolean, default=False)
    non_attendee_policy: Mapped[str] = mapped_column(String(16), default="unchanged")
    walk_in_policy: Mapped[str] = mapped_column(String(16), default="ignore")
    info_url: Mapped[str | None] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[Any]] = mapped_column(default=list)
    owner_team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    available_team_ids: Mapped[list[Any]] = mapped_column(default=list)
    """Teams that may use it; empty means every team."""
    egress_proxy_url: Mapped[str | None] = mapped_column(String(2048))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    """Bumped on every change; cached adapters are rebuilt when it moves."""
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Event(Base):
    __tablename__ = "events"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16), default="webinar")
    description: Mapped[str] = mapped_column(Text, default="")
    trainer: Mapped[str] = mapped_column(String(255), default="")
    location: Mapped[str] = mapped_column(String(255), default="Online")
    capacity: Mapped[int | None] = mapped_column(Integer)
    session_mode: Mapped[str] = mapped_column(String(16), default="alternative")
    completion_rule: Mapped[dict[str, Any]] = mapped_column(default=dict)
    series_required_parts: Mapped[int | None] = mapped_column(Integer)
    """For a series: how many parts complete the event (N of M); empty means every part."""
    owner_team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Session(WorkColumns, Base):
    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_integration_starts", "integration_id", "starts_at"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(255))
    starts_at: Mapped[datetime]
    time_zone: Mapped[str] = mapped_column(String(64))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    integration_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("integrations.id", ondelete="RESTRICT")
    )
    capacity: Mapped[int | None] = mapped_column(Integer)
    completion_rule: Mapped[dict[str, Any] | None] = mapped_column()
    """Overrides the event's rule when set."""
    state: Mapped[str] = mapped_column(String(16), default="scheduled")
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(64))
    provider_ref: Mapped[str | None] = mapped_column(String(512))
    provider_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sync_state: Mapped[str] = mapped_column(String(16), default="synced")
    sync_error: Mapped[str | None] = mapped_column(Text)
    sync_attempts: Mapped[int] = mapped_column(Integer, default=0)
    sync_retry_at: Mapped[datetime | None]
    desired_revision: Mapped[int] = mapped_column(Integer, default=0)
    synced_revision: Mapped[int] = mapped_column(Integer, default=0)
    end_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    cancel_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    stale_meetings: Mapped[list[Any]] = mapped_column(default=list)
    """Meetings on integrations the session left; deleted by the worker."""
    attendance_state: Mapped[str] = mapped_column(String(16), default="not_due")
    attendance_attempts: Mapped[int] = mapped_column(Integer, default=0)
    attendance_next_at: Mapped[datetime | None]
    attendance_note: Mapped[str | None] = mapped_column(Text)
    last_live_check_at: Mapped[datetime | None]
    registrations_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    """Learners may wait for their registration with a registrant provider (a hint: the worker
    registers whoever has no registration yet, then clears it)."""
    unregistrations_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    """Canceled enrollments may have registrations to cancel on the provider (a hint: the worker
    cancels every ``Enrollment.registrant_to_cancel``, then clears it)."""
    provider_ended_at: Mapped[datetime | None]
    """When a signed provider event (Zoom's meeting.ended) said the meeting ended."""
    callback_token: Mapped[str] = mapped_column(String(64))
    roster_submitted_at: Mapped[datetime | None]
    roster_submitted_by: Mapped[str | None] = mapped_column(String(255))
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """iCalendar SEQUENCE: bumped when what a calendar shows (time, title, state) changes."""
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SessionInstructor(Base):
    __tablename__ = "session_instructors"
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Enrollment(Base):
    __tablename__ = "enrollments"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id"),
        UniqueConstraint("session_id", "identity"),
        Index("ix_enrollments_session_status", "session_id", "status", "position"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer, default=0)
    """Order on the waitlist (and of registration)."""
    identity: Mapped[str] = mapped_column(String(64))
    """What Vilt gives the provider to recognise this learner (BBB userID...)."""
    registrant_id: Mapped[str | None] = mapped_column(String(255))
    join_url: Mapped[str | None] = mapped_column(Text)
    registrant_to_cancel: Mapped[str | None] = mapped_column(String(255))
    """The registrant id of a canceled enrollment, kept until the provider has canceled it (in
    the row, so a worker that dies before the call loses nothing)."""
    walk_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Added by attendance (the integration's walk-in policy), not enrolled ahead."""
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ProviderQuota(Base):
    """Uses of a provider's daily quota (Zoom: ~100 meeting writes per user per day), counted
    across every worker process and restart, so Vilt stops with a clear reason before the
    provider refuses."""

    __tablename__ = "provider_quotas"
    __table_args__ = (UniqueConstraint("integration_id", "quota", "subject", "day"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    integration_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    quota: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(320))
    """Whose quota: a provider user (an email), or the account."""
    day: Mapped[str] = mapped_column(String(10))
    """The provider's day, ``YYYY-MM-DD``."""
    used: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]


class Launch(Base):
    __tablename__ = "launches"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]


class LiveObservation(Base):
    """Who the provider showed in a running meeting; the fallback when no callback arrives."""

    __tablename__ = "live_observations"
    __table_args__ = (UniqueConstraint("session_id", "participant_key"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    participant_key: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(255), default="")
    bound_identity: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32), default="attendee")
    intervals: Mapped[list[Any]] = mapped_column(default=list)


class AttendanceImport(Base):
    """One delivery of attendance from a provider; repeats are recognised by fingerprint."""

    __tablename__ = "attendance_imports"
    __table_args__ = (UniqueConstraint("session_id", "fingerprint"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    fingerprint: Mapped[str] = mapped_column(String(64))
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime]


class AttendanceRecord(Base):
    __tablename__ = "attendance_records"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    import_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("attendance_imports.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    participant_key: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(255), default="")
    bound_identity: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32), default="attendee")
    intervals: Mapped[list[Any]] = mapped_column(default=list)
    total_seconds: Mapped[int] = mapped_column(Integer, default=0)
    polls_answered: Mapped[int] = mapped_column(Integer, default=0)
    polls_asked: Mapped[int] = mapped_column(Integer, default=0)
    chats: Mapped[int] = mapped_column(Integer, default=0)
    talks: Mapped[int] = mapped_column(Integer, default=0)
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    enrollment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    match_method: Mapped[str] = mapped_column(String(16), default="none")
    suggestions: Mapped[list[Any]] = mapped_column(default=list)


class RosterVersion(Base):
    __tablename__ = "roster_versions"
    __table_args__ = (UniqueConstraint("session_id", "number"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(Text)
    changed_entries: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]


class RosterEntry(Base):
    """One learner's roster line, valid from version ``valid_from`` until (not including)
    ``valid_to``; a version stores only the lines it changed."""

    __tablename__ = "roster_entries"
    __table_args__ = (
        Index("ix_roster_entries_current", "session_id", "valid_to"),
        Index("ix_roster_entries_enrollment", "enrollment_id", "valid_from"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    enrollment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    valid_from: Mapped[int] = mapped_column(Integer)
    valid_to: Mapped[int | None] = mapped_column(Integer)
    attendance: Mapped[str] = mapped_column(String(16))
    completion: Mapped[str] = mapped_column(String(16))
    seconds: Mapped[int] = mapped_column(Integer, default=0)
    basis: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16))
    changed_by: Mapped[str] = mapped_column(String(255))
    changed_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "account_id", "object_type", "object_id"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column()
    after: Mapped[dict[str, Any] | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]


class Delivery(WorkColumns, Base):
    """One message Vilt owes somebody outside (a signed webhook, an LTI score...): stored with
    the change that caused it, sent by the worker, retried until it arrives; never lost."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("account_id", "kind", "idempotency_key"),
        Index("ix_deliveries_account_status", "account_id", "status", "created_at"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    """Which handler sends it (``webhook``, ``lti_score``...)."""
    target: Mapped[str] = mapped_column(String(255))
    """The handler's own reference to where it goes (an endpoint id, a line item...)."""
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """pending | delivered | failed (gave up; can be replayed)"""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status: Mapped[int | None] = mapped_column(Integer)
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class BrowserSession(Base):
    """A signed-in browser: by password on our pages, or by an LTI launch. The cookie holds a
    random token; only its hash is stored."""

    __tablename__ = "browser_sessions"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    via: Mapped[str] = mapped_column(String(16))
    """``password`` or ``lti``."""
    csrf_token: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """What the sign-in brought along (an LTI context and roles...)."""
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class WebhookEndpoint(Base):
    """Where an account receives signed webhooks (Standard Webhooks)."""

    __tablename__ = "webhook_endpoints"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(Text, default="")
    event_types: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    secrets: Mapped[str] = mapped_column(Text)
    """Encrypted JSON: the signing secret, and the previous one while a rotation settles."""
    previous_secret_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CalendarFeed(Base):
    """A learner's schedule at a secret URL; the token is looked up by its hash."""

    __tablename__ = "calendar_feeds"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token: Mapped[str] = mapped_column(Text)
    """Encrypted, so the account can show the URL again."""
    created_at: Mapped[datetime]


class AttendanceBinding(Base):
    """An administrator said who an unmatched participant was; later imports of the same
    session keep that answer."""

    __tablename__ = "attendance_bindings"
    __table_args__ = (UniqueConstraint("session_id", "participant_key"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    participant_key: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    bound_by: Mapped[str] = mapped_column(String(255))
    bound_at: Mapped[datetime]


# the LTI tables live in their own module; imported here so the metadata is complete
from vilt.storage import lti_models as _lti_models  # noqa: E402, F401
