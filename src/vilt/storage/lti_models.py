"""LTI 1.3 tables: platforms, the tool's keys, one-time tickets, courses and links, proctoring.

Kept apart from ``models.py`` so the LTI tool grows without touching the core tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from vilt.storage.models import Base, new_id


class LtiPlatform(Base):
    """One LMS registration: who signs the launches (issuer + client id) and where its
    endpoints are. A launch names its issuer and client id, so the pair is unique overall."""

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    product: Mapped[str] = mapped_column(String(64), default="")
    """moodle, canvas, blackboard... (from dynamic registration, or given)."""
    issuer: Mapped[str] = mapped_column(String(512))
    client_id: Mapped[str] = mapped_column(String(255))
    deployment_ids: Mapped[list[Any]] = mapped_column(default=list)
    auth_login_url: Mapped[str] = mapped_column(String(2048))
    token_url: Mapped[str] = mapped_column(String(2048))
    jwks_url: Mapped[str] = mapped_column(String(2048))
    token_audience: Mapped[str | None] = mapped_column(String(2048))
    """The ``aud`` of client assertions when the platform wants something else than the token URL."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    uef_learn_url: Mapped[str | None] = mapped_column(String(2048))
    """Blackboard Learn: the Learn origin, for the Ultra extension's REST sign-in."""
    uef_rest_key: Mapped[str | None] = mapped_column(String(255))
    proctoring_handle: Mapped[str | None] = mapped_column(String(255))
    """Blackboard: the unique handle of the Proctoring placement."""
    secrets: Mapped[str] = mapped_column(Text, default="")
    """Encrypted JSON (the Learn REST application secret)."""
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class LtiToolKey(Base):
    """One of Vilt's own signing keys. The newest active key signs; a rotated key is still
    published until ``expires_at`` so messages it signed stay verifiable."""

    __tablename__ = "lti_tool_keys"
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_key: Mapped[str] = mapped_column(Text)
    """Encrypted PEM."""
    public_jwk: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]


class LtiTicket(Base):
    """A single-use, expiring token: an OIDC ``state`` (with its nonce), a dynamic registration
    link, a page ticket. Only the hash of the token is stored."""

    __tablename__ = "lti_tickets"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    platform_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]


class LtiContext(Base):
    """An LMS course, as the platform names it, with its service endpoints."""

    __tablename__ = "lti_contexts"
    __table_args__ = (UniqueConstraint("platform_id", "context_id"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    platform_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(255), default="")
    title: Mapped[str] = mapped_column(String(512), default="")
    memberships_url: Mapped[str | None] = mapped_column(String(2048))
    lineitems_url: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class LtiResourceLink(Base):
    """A placement of Vilt in a course, bound to an event; its line item receives the scores."""

    __tablename__ = "lti_resource_links"
    __table_args__ = (
        UniqueConstraint("platform_id", "resource_link_id"),
        Index("ix_lti_resource_links_event", "event_id"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    platform_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    context_ref: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("lti_contexts.id", ondelete="SET NULL"))
    resource_link_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(512), default="")
    event_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    deployment_id: Mapped[str] = mapped_column(String(255), default="")
    lineitem_url: Mapped[str | None] = mapped_column(String(2048))
    ags_scopes: Mapped[list[Any]] = mapped_column(default=list)
    score_maximum: Mapped[int] = mapped_column(Integer, default=100)
    grade_sync: Mapped[str] = mapped_column(String(16), default="on_submit")
    """``on_submit`` (scores when the roster is submitted) or ``every_change``."""
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class LtiProctoringAttempt(Base):
    """One proctored attempt of one learner at one assessment (LTI Proctoring Services)."""

    __tablename__ = "lti_proctoring_attempts"
    __table_args__ = (UniqueConstraint("platform_id", "resource_link_id", "user_id", "attempt_number"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    platform_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    resource_link_id: Mapped[str] = mapped_column(String(255))
    resource_link: Mapped[dict[str, Any]] = mapped_column(default=dict)
    context_id: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(255))
    attempt_number: Mapped[int] = mapped_column(Integer)
    session_data: Mapped[str] = mapped_column(Text)
    start_assessment_url: Mapped[str] = mapped_column(String(2048))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    acs_url: Mapped[str | None] = mapped_column(String(2048))
    acs_actions: Mapped[list[Any]] = mapped_column(default=list)
    return_url: Mapped[str | None] = mapped_column(String(2048))
    status: Mapped[str] = mapped_column(String(16), default="checking")
    """checking | started | paused | terminated | ended"""
    verified_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    end_error: Mapped[str | None] = mapped_column(Text)
    proctor_session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sessions.id", ondelete="SET NULL")
    )
    incidents: Mapped[list[Any]] = mapped_column(default=list)
    """Every Assessment Control call made, with the platform's answer."""
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class LtiProctoringSetting(Base):
    """Whether an assessment is proctored by Vilt, and how (saved from the Ultra extension)."""

    __tablename__ = "lti_proctoring_settings"
    __table_args__ = (UniqueConstraint("account_id", "course_id", "content_id"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    platform_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("lti_platforms.id", ondelete="SET NULL"))
    course_id: Mapped[str] = mapped_column(String(255))
    content_id: Mapped[str] = mapped_column(String(255))
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    live_proctoring: Mapped[bool] = mapped_column(Boolean, default=False)
    integration_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("integrations.id", ondelete="SET NULL")
    )
    updated_by: Mapped[str] = mapped_column(String(255), default="")
    updated_at: Mapped[datetime]
