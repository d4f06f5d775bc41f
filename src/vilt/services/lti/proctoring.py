"""LTI Proctoring Services 1.0: LtiStartProctoring → identity check → LtiStartAssessment
(signed by Vilt, auto-posted to the platform) → LtiEndAssessment; and the Assessment Control
Service a proctor uses during the attempt."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from vilt.core.lti import (
    AP,
    CONTEXT,
    DEPLOYMENT_ID,
    LAUNCH_PRESENTATION,
    LTI_VERSION,
    MEDIA_ACS,
    MESSAGE_TYPE,
    RESOURCE_LINK,
    SCOPE_ACS,
    START_ASSESSMENT,
    VERSION,
    LaunchRefused,
    acs_action_name,
    canonical_acs_action,
)
from vilt.services.context import Actor, ServiceContext
from vilt.services.lti import keys, signing
from vilt.services.lti.hub import LtiHub, ServiceError, TokenEndpoint
from vilt.services.lti.signing import SigningKey
from vilt.storage.lti_models import LtiPlatform, LtiProctoringAttempt
from vilt.storage.models import User
from vilt.storage.repositories import lti as repo

# the claim names, with the spellings some platforms use
ATTEMPT_NUMBER = AP + "attempt_number"
START_ASSESSMENT_URL = AP + "start_assessment_url"
SESSION_DATA = AP + "session_data"
PROCTORING_SETTINGS = AP + "proctoring_settings"
VERIFIED_USER = AP + "verified_user"
END_ASSESSMENT_RETURN = AP + "end_assessment_return"
ACS = AP + "acs"
ERRORMSG = AP + "errormsg"
ERRORLOG = AP + "errorlog"
ACS_STATUSES = {"none", "running", "paused", "terminated", "complete"}


def _mapping(claims: dict[str, Any], name: str) -> dict[str, Any]:
    value = claims.get(name)
    return value if isinstance(value, dict) else {}


def _attempt_number(claims: dict[str, Any]) -> int:
    raw = claims.get(ATTEMPT_NUMBER)
    try:
        number = int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise LaunchRefused(
            "attempt_number_missing", "The proctoring launch has no attempt_number."
        ) from None
    if number < 1:
        raise LaunchRefused("attempt_number_invalid", "The attempt_number must be 1 or more.")
    return number


async def start(
    ctx: ServiceContext,
    tx: AsyncSession,
    platform: LtiPlatform,
    claims: dict[str, Any],
    user: User,
    deployment: str,
) -> LtiProctoringAttempt:
    number = _attempt_number(claims)
    start_url = claims.get(START_ASSESSMENT_URL)
    session_data = claims.get(SESSION_DATA)
    if not isinstance(start_url, str) or not start_url:
        raise LaunchRefused(
            "start_assessment_url_missing", "The proctoring launch has no start_assessment_url."
        )
    if not isinstance(session_data, str) or not session_data:
        raise LaunchRefused("session_data_missing", "The proctoring launch has no session_data.")
    link = dict(claims[RESOURCE_LINK])
    now = ctx.clock.now()
    attempt = await repo.attempt_of(tx, platform.id, str(link["id"]), user.id, number)
    if attempt is None:
        attempt = LtiProctoringAttempt(
            account_id=platform.account_id,
            platform_id=platform.id,
            resource_link_id=str(link["id"])[:255],
            user_id=user.id,
            attempt_number=number,
            incidents=[],
            created_at=now,
        )
        tx.add(attempt)
    elif attempt.status in ("started", "paused", "terminated", "ended"):
        raise LaunchRefused(
            "attempt_already_started",
            f"Attempt {number} was already started; the LMS must start a new attempt.",
        )
    acs = _mapping(claims, ACS)
    context = _mapping(claims, CONTEXT)
    presentation = _mapping(claims, LAUNCH_PRESENTATION)
    attempt.deployment_id = deployment
    attempt.resource_link = link
    attempt.context_id = str(context.get("id")) if context.get("id") else None
    attempt.subject = str(claims["sub"])
    attempt.session_data = session_data
    attempt.start_assessment_url = start_url
    settings = claims.get(PROCTORING_SETTINGS)
    attempt.settings = settings if isinstance(settings, dict) else {}
    attempt.acs_url = str(acs["assessment_control_url"]) if acs.get("assessment_control_url") else None
    attempt.acs_actions = [str(a) for a in acs.get("actions") or []]
    attempt.return_url = str(presentation["return_url"]) if presentation.get("return_url") else None
    attempt.status = "checking"
    attempt.updated_at = now
    await tx.flush()
    return attempt


async def end(
    ctx: ServiceContext, tx: AsyncSession, platform: LtiPlatform, claims: dict[str, Any], user: User
) -> LtiProctoringAttempt:
    number = _attempt_number(claims)
    link_id = str(claims[RESOURCE_LINK]["id"])
    attempt = await repo.attempt_of(tx, platform.id, link_id, user.id, number)
    if attempt is None:
        raise LaunchRefused(
            "attempt_unknown", f"Vilt did not proctor attempt {number} of this assessment.", 404
        )
    now = ctx.clock.now()
    attempt.status = "ended"
    attempt.ended_at = now
    problem = " ".join(str(claims.get(c) or "") for c in (ERRORMSG, ERRORLOG)).strip()
    attempt.end_error = problem or None
    presentation = claims.get(LAUNCH_PRESENTATION)
    if isinstance(presentation, dict) and presentation.get("return_url"):
        attempt.return_url = str(presentation["return_url"])
    attempt.updated_at = now
    return attempt


async def attempt_of_user(
    tx: AsyncSession, account_id: uuid.UUID, attempt_id: uuid.UUID, user: User
) -> LtiProctoringAttempt:
    attempt = await repo.attempt(tx, account_id, attempt_id)
    if attempt is None:
        raise NotFound("No such proctored attempt.")
    if attempt.user_id != user.id:
        raise Forbidden("This attempt belongs to another learner.")
    return attempt


@dataclass(frozen=True)
class StartAssessment:
    url: str
    jwt: str


async def confirm(
    ctx: ServiceContext, tx: AsyncSession, attempt: LtiProctoringAttempt, user: User, *, confirmed_name: str
) -> StartAssessment:
    """The learner confirmed who they are: Vilt tells the platform to start the attempt."""
    if attempt.status != "checking":
        raise Conflict(f"This attempt is {attempt.status}; it cannot be started again.")
    if not confirmed_name.strip():
        raise ValidationFailed.one("confirmed_name", "Type your full name to confirm your identity.")
    platform = await repo.platform_by_id(tx, attempt.platform_id)
    assert platform is not None
    now = ctx.clock.now()
    parts = confirmed_name.strip().split()
    claims: dict[str, Any] = {
        "iss": platform.client_id,
        "aud": platform.issuer,
        "azp": platform.client_id,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        "nonce": secrets.token_urlsafe(16),
        MESSAGE_TYPE: START_ASSESSMENT,
        VERSION: LTI_VERSION,
        DEPLOYMENT_ID: attempt.deployment_id,
        RESOURCE_LINK: attempt.resource_link,
        ATTEMPT_NUMBER: attempt.attempt_number,
        SESSION_DATA: attempt.session_data,
        VERIFIED_USER: {
            "name": confirmed_name.strip(),
            "given_name": parts[0],
            "family_name": " ".join(parts[1:]) or parts[0],
        },
        END_ASSESSMENT_RETURN: True,
    }
    signed = signing.sign(await keys.signing_key(ctx, tx), claims)
    attempt.status = "started"
    attempt.verified_at = now
    attempt.updated_at = now
    return StartAssessment(attempt.start_assessment_url, signed)


@dataclass(frozen=True)
class ControlRequest:
    action: str
    reason_code: str | None = None
    reason_msg: str | None = None
    incident_severity: float | None = None
    extra_time: int | None = None


@dataclass(frozen=True)
class PreparedControl:
    endpoint: TokenEndpoint
    key: SigningKey
    url: str
    body: dict[str, Any]


async def prepare_control(
    ctx: ServiceContext,
    tx: AsyncSession,
    account_id: uuid.UUID,
    attempt_id: uuid.UUID,
    request: ControlRequest,
) -> PreparedControl:
    attempt = await repo.attempt(tx, account_id, attempt_id)
    if attempt is None:
        raise NotFound("No such proctored attempt in this account.")
    action = canonical_acs_action(request.action)
    if action is None:
        raise ValidationFailed.one("action", "Choose pause, resume, terminate, update or flag.")
    if attempt.acs_url is None:
        raise Conflict("The platform offered no Assessment Control Service for this attempt.")
    offered = [canonical_acs_action(a) for a in attempt.acs_actions]
    if attempt.acs_actions and action not in offered:
        raise Conflict(
            f"The platform does not accept '{action}' for this attempt; it offered {attempt.acs_actions}."
        )
    if request.incident_severity is not None and not 0 <= request.incident_severity <= 1:
        raise ValidationFailed.one("incident_severity", "A severity is between 0 and 1.")
    platform = await repo.platform_by_id(tx, attempt.platform_id)
    assert platform is not None
    body: dict[str, Any] = {
        "user": {"sub": attempt.subject},
        "resource_link": {"id": attempt.resource_link_id},
        "attempt_number": attempt.attempt_number,
        "action": acs_action_name(action, attempt.acs_actions),
        "incident_time": ctx.clock.now().isoformat().replace("+00:00", "Z"),
    }
    if request.incident_severity is not None:
        body["incident_severity"] = request.incident_severity
    if request.extra_time is not None:
        body["extra_time"] = request.extra_time
    if request.reason_code:
        body["reason_code"] = request.reason_code
    if request.reason_msg:
        # the spec writes reason_msg; some implementations read reason_message
        body["reason_msg"] = body["reason_message"] = request.reason_msg
    return PreparedControl(endpoint(platform), await keys.signing_key(ctx, tx), attempt.acs_url, body)


def endpoint(platform: LtiPlatform) -> TokenEndpoint:
    return TokenEndpoint(
        platform.id, platform.client_id, platform.token_url, platform.token_audience or platform.token_url
    )


async def send_control(hub: LtiHub, prepared: PreparedControl) -> dict[str, Any]:
    token = await hub.access_token(prepared.endpoint, [SCOPE_ACS], prepared.key)
    async with hub.client() as client:
        try:
            response = await client.post(
                prepared.url,
                json=prepared.body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": MEDIA_ACS, "Accept": MEDIA_ACS},
            )
        except httpx.HTTPError as exc:
            raise ServiceError(
                f"The Assessment Control Service is unreachable ({type(exc).__name__})."
            ) from None
    if response.status_code == 401:
        hub.forget_token(prepared.endpoint, [SCOPE_ACS])
    if response.status_code >= 300:
        raise ServiceError(
            f"The platform refused the {prepared.body['action']} (HTTP {response.status_code}).",
            status=response.status_code,
        )
    try:
        answer: dict[str, Any] = response.json()
    except ValueError:
        answer = {}
    return answer


async def record_control(
    ctx: ServiceContext,
    tx: AsyncSession,
    account_id: uuid.UUID,
    attempt_id: uuid.UUID,
    body: dict[str, Any],
    answer: dict[str, Any] | None,
    error: str | None,
    actor: Actor,
) -> LtiProctoringAttempt:
    attempt = await repo.attempt(tx, account_id, attempt_id)
    assert attempt is not None
    status = str((answer or {}).get("status", "")).lower()
    mapped = {"running": "started", "paused": "paused", "terminated": "terminated", "complete": "ended"}
    if status in mapped:
        attempt.status = mapped[status]
    attempt.incidents = [
        *attempt.incidents,
        {
            "at": ctx.clock.now().isoformat(),
            "by": actor.label,
            "request": body,
            "answer": answer,
            "error": error,
        },
    ]
    attempt.updated_at = ctx.clock.now()
    return attempt
