"""LTI 1.3 rules that need no I/O: the claims a launch must carry, roles, scores, links.

Claim names and values follow 1EdTech LTI Core 1.3, Deep Linking 2.0, AGS 2.0, NRPS 2.0 and
LTI Proctoring Services 1.0. Every refusal carries a code and a sentence for the error page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from vilt.core.errors import DomainError

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/"
AP = "https://purl.imsglobal.org/spec/lti-ap/claim/"

MESSAGE_TYPE = LTI + "message_type"
VERSION = LTI + "version"
DEPLOYMENT_ID = LTI + "deployment_id"
TARGET_LINK_URI = LTI + "target_link_uri"
RESOURCE_LINK = LTI + "resource_link"
ROLES = LTI + "roles"
CONTEXT = LTI + "context"
CUSTOM = LTI + "custom"
LAUNCH_PRESENTATION = LTI + "launch_presentation"
TOOL_PLATFORM = LTI + "tool_platform"
DL_SETTINGS = DL + "deep_linking_settings"
DL_CONTENT_ITEMS = DL + "content_items"
DL_DATA = DL + "data"
DL_MSG = DL + "msg"
AGS_ENDPOINT = AGS + "endpoint"
NRPS_SERVICE = NRPS + "namesroleservice"

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
SCOPE_ACS = "https://purl.imsglobal.org/spec/lti-ap/scope/control.all"

MEDIA_SCORE = "application/vnd.ims.lis.v1.score+json"
MEDIA_MEMBERSHIPS = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
MEDIA_ACS = "application/vnd.ims.lti-ap.v1.control+json"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse"
START_PROCTORING = "LtiStartProctoring"
START_ASSESSMENT = "LtiStartAssessment"
END_ASSESSMENT = "LtiEndAssessment"
SUPPORTED_MESSAGES = (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST, START_PROCTORING, END_ASSESSMENT)
LTI_VERSION = "1.3.0"

LEEWAY = timedelta(seconds=60)
"""Clock skew tolerated on ``exp`` and ``iat``."""
MAX_TOKEN_AGE = timedelta(hours=1)


class LaunchRefused(DomainError):
    """A launch that must not go through; ``code`` names the check, the detail explains it."""

    status = 400
    code = "lti_launch_refused"
    title = "This LTI launch was refused"

    def __init__(self, reason: str, detail: str, status: int = 400) -> None:
        super().__init__(detail, reason=reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class Expected:
    """What a launch must match: the registration the ``state`` was issued for."""

    issuer: str
    client_id: str
    nonce: str
    deployment_ids: Sequence[str]


def _text(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) and value else None


def _instant(claims: Mapping[str, Any], name: str) -> datetime | None:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value, tz=UTC)


def check_claims(claims: Mapping[str, Any], expected: Expected, now: datetime) -> str:
    """Check a verified id_token's claims; returns the message type."""
    if claims.get("iss") != expected.issuer:
        raise LaunchRefused(
            "issuer_mismatch",
            f"The token was issued by '{claims.get('iss')}', but this sign-in was started for "
            f"'{expected.issuer}'.",
        )
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
    if expected.client_id not in audiences:
        raise LaunchRefused(
            "audience_mismatch", f"The token is not meant for this tool (client id {expected.client_id})."
        )
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != expected.client_id:
        raise LaunchRefused(
            "azp_mismatch", "The token names several audiences but its authorized party is not this tool."
        )
    expires, issued = _instant(claims, "exp"), _instant(claims, "iat")
    if expires is None or issued is None:
        raise LaunchRefused("times_missing", "The token has no valid exp or iat claim.")
    if expires + LEEWAY < now:
        raise LaunchRefused("token_expired", "The launch token has expired; launch again from the course.")
    if issued - LEEWAY > now:
        raise LaunchRefused("issued_in_future", "The launch token claims to be issued in the future.")
    if now - issued > MAX_TOKEN_AGE:
        raise LaunchRefused("token_too_old", "The launch token is too old; launch again from the course.")
    if claims.get("nonce") != expected.nonce:
        raise LaunchRefused("nonce_mismatch", "The token's nonce does not match this sign-in (a replay?).")
    deployment = _text(claims, DEPLOYMENT_ID)
    if deployment is None or deployment not in expected.deployment_ids:
        raise LaunchRefused(
            "deployment_unknown",
            f"The deployment '{deployment}' is not registered for this platform; an administrator "
            "must add it to the platform's deployment ids.",
            status=403,
        )
    message_type = _text(claims, MESSAGE_TYPE)
    if message_type not in SUPPORTED_MESSAGES:
        raise LaunchRefused(
            "message_type_unsupported", f"The message type '{message_type}' is not supported by Vilt."
        )
    if claims.get(VERSION) != LTI_VERSION:
        raise LaunchRefused(
            "version_unsupported", f"LTI version '{claims.get(VERSION)}' is not supported; 1.3.0 is."
        )
    if not _text(claims, "sub"):
        raise LaunchRefused("subject_missing", "Anonymous launches are not supported: the token has no sub.")
    if not isinstance(claims.get(ROLES), list):
        raise LaunchRefused("roles_missing", "The token has no roles claim.")
    link = claims.get(RESOURCE_LINK)
    needs_link = message_type in (RESOURCE_LINK_REQUEST, START_PROCTORING, END_ASSESSMENT)
    if needs_link and not (isinstance(link, dict) and _text(link, "id")):
        raise LaunchRefused("resource_link_missing", "The launch names no resource link id.")
    if message_type == DEEP_LINKING_REQUEST:
        settings = claims.get(DL_SETTINGS)
        if not isinstance(settings, dict) or not _text(settings, "deep_link_return_url"):
            raise LaunchRefused("deep_linking_settings_missing", "The request has no deep_link_return_url.")
        if "ltiResourceLink" not in (settings.get("accept_types") or []):
            raise LaunchRefused(
                "deep_linking_type_refused", "The platform does not accept LTI resource links here."
            )
    assert message_type is not None
    return message_type


def launch_locale(claims: Mapping[str, Any]) -> str | None:
    """The locale the platform asks pages to use (``launch_presentation.locale``), as sent."""
    presentation = claims.get(LAUNCH_PRESENTATION)
    locale = presentation.get("locale") if isinstance(presentation, dict) else None
    return locale if isinstance(locale, str) and locale.strip() else None


# --- roles -----------------------------------------------------------------------------------

_CONTEXT_ROLE = re.compile(r"^http://purl\.imsglobal\.org/vocab/lis/v2/membership(?:/\w+)?#(\w+)$")
_INSTITUTION_ROLE = re.compile(r"^http://purl\.imsglobal\.org/vocab/lis/v2/institution/person#(\w+)$")
_SYSTEM_ROLE = re.compile(r"^http://purl\.imsglobal\.org/vocab/lis/v2/system/person#(\w+)$")
_LEGACY_ROLE = re.compile(r"^urn:lti:(?:role|instrole|sysrole):ims/lis/(\w+)(?:/\w+)?$")

_TEACHING = {"instructor", "teachingassistant", "contentdeveloper", "faculty", "teacher"}
_LEARNING = {"learner", "student"}
_ADMIN = {"administrator", "sysadmin", "accountadmin"}


@dataclass(frozen=True)
class LtiRoles:
    """The launch's roles, reduced to what Vilt distinguishes."""

    context: frozenset[str] = field(default_factory=frozenset)
    institution: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_admin(self) -> bool:
        return bool((self.context | self.institution) & _ADMIN)

    @property
    def is_instructor(self) -> bool:
        """Teaches this course; without any course role, an institution teacher or admin."""
        if self.context:
            return bool(self.context & (_TEACHING | _ADMIN))
        return bool(self.institution & (_TEACHING | _ADMIN))

    @property
    def is_learner(self) -> bool:
        return not self.is_instructor and bool((self.context | self.institution) & _LEARNING)

    def vilt_roles(self) -> list[str]:
        roles = []
        if self.is_admin:
            roles.append("admin")
        if self.is_instructor:
            roles.append("instructor")
        if self.is_learner or not roles:
            roles.append("learner")
        return roles


def map_roles(values: Sequence[str]) -> LtiRoles:
    """Map role URIs (context, institution, system, LTI 1.1 URNs or bare short names)."""
    context: set[str] = set()
    institution: set[str] = set()
    for raw in values:
        if not isinstance(raw, str):
            continue
        value = raw.strip()
        if found := _CONTEXT_ROLE.match(value):
            # ``membership/Instructor#TeachingAssistant``: the fragment is the role
            context.add(found.group(1).lower())
        elif found := _INSTITUTION_ROLE.match(value) or _SYSTEM_ROLE.match(value):
            institution.add(found.group(1).lower())
        elif found := _LEGACY_ROLE.match(value):
            context.add(found.group(1).lower())
        elif value and "/" not in value and ":" not in value:
            short = value.split("#")[-1].lower()
            context.add(short)
    return LtiRoles(frozenset(context), frozenset(institution))


# --- services --------------------------------------------------------------------------------


def scores_url(lineitem: str) -> str:
    """``{lineitem}/scores``: inserted into the path, any query kept (Canvas, Blackboard)."""
    parts = urlsplit(lineitem)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")


def next_link(header: str | None) -> str | None:
    """The ``rel="next"`` target of an HTTP Link header, if any."""
    if not header:
        return None
    for target, params in _LINK.findall(header):
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "rel" and "next" in value.strip().strip('"').split():
                return str(target)
    return None


@dataclass(frozen=True)
class Score:
    score_given: float
    score_maximum: float
    activity_progress: str
    grading_progress: str
    comment: str

    def payload(self, user_id: str, timestamp: datetime) -> dict[str, Any]:
        return {
            "userId": user_id,
            "scoreGiven": self.score_given,
            "scoreMaximum": self.score_maximum,
            "activityProgress": self.activity_progress,
            "gradingProgress": self.grading_progress,
            "timestamp": timestamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "comment": self.comment,
        }


def score_for(completion: str, attendance: str, basis: str, maximum: int, *, final: bool) -> Score:
    """A roster line as an AGS score: completed earns the maximum, anything else zero; ``final``
    (the roster was submitted) makes every line fully graded except one still in progress."""
    comment = f"{attendance}; {completion}" + (f" ({basis})" if basis else "")
    if completion == "completed":
        return Score(maximum, maximum, "Completed", "FullyGraded", comment)
    if completion == "failed":
        return Score(0, maximum, "Completed", "FullyGraded", comment)
    if completion == "in_progress":
        return Score(0, maximum, "InProgress", "Pending", comment)
    if final:
        return Score(
            0, maximum, "Completed" if attendance == "absent" else "Initialized", "FullyGraded", comment
        )
    return Score(0, maximum, "Initialized", "NotReady", comment)


# --- proctoring ------------------------------------------------------------------------------

ACS_ACTIONS = ("pause", "resume", "terminate", "update", "flag")


def acs_action_name(action: str, advertised: Sequence[str]) -> str:
    """The action as the platform spells it: the spec's ``pause``, or Open edX's
    ``pauseRequest`` when that is what the acs claim listed."""
    if action in advertised or not advertised:
        return action
    variant = f"{action}Request"
    return variant if variant in advertised else action


def canonical_acs_action(name: str) -> str | None:
    base = name.removesuffix("Request")
    return base if base in ACS_ACTIONS else None
