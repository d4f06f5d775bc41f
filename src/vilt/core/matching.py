"""Matching provider attendance to learners.

Order: the identity bound at join (BBB ``userID``, a registrant id, a personal URL), then an
administrator's binding of this participant (after reviewing an unmatched record), then the email
(case-insensitive, aliases included). A display-name match is only ever a suggestion.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

from vilt.core.attendance import ParticipantReport, combine_reports
from vilt.core.identity import name_key, normalize_email

UserId = TypeVar("UserId")
EnrollmentId = TypeVar("EnrollmentId")


class MatchMethod(StrEnum):
    IDENTITY = "identity"
    MANUAL = "manual"
    """An administrator bound this participant to a user."""
    EMAIL = "email"
    NONE = "none"


@dataclass(frozen=True)
class Directory(Generic[UserId, EnrollmentId]):
    """What is known about the people who could have attended one session."""

    identities: Mapping[str, UserId]
    """Identity bound at join → user."""
    emails: Mapping[str, UserId]
    """Normalised email or alias → user."""
    enrollments: Mapping[UserId, EnrollmentId]
    """User → their enrollment in this session."""
    names: Mapping[str, Sequence[UserId]] = field(default_factory=dict)
    """``name_key`` → users with that name; used for suggestions only."""
    participants: Mapping[str, UserId] = field(default_factory=dict)
    """Provider participant key → user, as an administrator bound it."""


@dataclass(frozen=True)
class Match(Generic[UserId, EnrollmentId]):
    report: ParticipantReport
    method: MatchMethod
    user_id: UserId | None = None
    enrollment_id: EnrollmentId | None = None
    suggestions: tuple[UserId, ...] = ()

    @property
    def is_enrolled(self) -> bool:
        return self.enrollment_id is not None

    @property
    def is_unmatched(self) -> bool:
        return self.user_id is None


def identify(
    report: ParticipantReport, directory: Directory[UserId, EnrollmentId]
) -> tuple[UserId, MatchMethod] | None:
    """Who ``report`` is and how we know, or None when nobody matches."""
    if report.bound_identity is not None:
        user = directory.identities.get(report.bound_identity)
        if user is not None:
            return user, MatchMethod.IDENTITY
    bound = directory.participants.get(report.participant_key)
    if bound is not None:
        return bound, MatchMethod.MANUAL
    if report.email:
        user = directory.emails.get(normalize_email(report.email))
        if user is not None:
            return user, MatchMethod.EMAIL
    return None


def match_reports(
    reports: Sequence[ParticipantReport], directory: Directory[UserId, EnrollmentId]
) -> list[Match[UserId, EnrollmentId]]:
    """One match per person: reports that resolve to the same user are combined.

    Unmatched reports stay separate and carry name-based suggestions for a reviewer.
    """
    by_user: dict[UserId, list[ParticipantReport]] = {}
    methods: dict[UserId, MatchMethod] = {}
    unmatched: list[Match[UserId, EnrollmentId]] = []
    for report in reports:
        identified = identify(report, directory)
        if identified is None:
            suggestions = tuple(directory.names.get(name_key(report.display_name), ()))
            unmatched.append(Match(report, MatchMethod.NONE, suggestions=suggestions))
            continue
        found, method = identified
        by_user.setdefault(found, []).append(report)
        # the strongest method seen for a person is the one reported
        if methods.get(found) != MatchMethod.IDENTITY:
            methods[found] = method
    matches: list[Match[UserId, EnrollmentId]] = [
        Match(
            combine_reports(group) if len(group) > 1 else group[0],
            methods[user],
            user_id=user,
            enrollment_id=directory.enrollments.get(user),
        )
        for user, group in by_user.items()
    ]
    return matches + unmatched
