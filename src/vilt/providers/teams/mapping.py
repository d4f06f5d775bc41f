"""Microsoft Graph JSON ⇄ Vilt values. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from vilt.core.attendance import Interval, ParticipantReport, combine_reports, merge_intervals
from vilt.providers.base import MeetingSpec

SUBJECT_MAX = 255
REHEARSAL_BEFORE = timedelta(hours=1)


def transaction_id(session_key: str) -> str:
    """Graph's ``transactionId``: a repeated create of the same event is recognised, not doubled."""
    return f"vilt-{session_key}"


def _graph_time(when: datetime) -> dict[str, str]:
    return {"dateTime": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


def event_body(spec: MeetingSpec) -> dict[str, Any]:
    """A calendar event with a Teams meeting (``isOnlineMeeting``), on the organizer's calendar."""
    return {
        **update_body(spec),
        "isOnlineMeeting": True,
        "onlineMeetingProvider": "teamsForBusiness",
        "transactionId": transaction_id(spec.session_key),
        "allowNewTimeProposals": False,
        "showAs": "busy",
    }


def update_body(spec: MeetingSpec) -> dict[str, Any]:
    return {
        "subject": " ".join(spec.title.split())[:SUBJECT_MAX] or "Session",
        "body": {"contentType": "text", "content": spec.description},
        "start": _graph_time(spec.starts_at),
        "end": _graph_time(spec.ends_at),
    }


def join_url(event: Mapping[str, Any]) -> str:
    online = event.get("onlineMeeting")
    if isinstance(online, Mapping) and online.get("joinUrl"):
        return str(online["joinUrl"])
    return str(event.get("onlineMeetingUrl") or "")


def filter_by_join_url(url: str) -> str:
    """``$filter`` for the online meeting behind a calendar event (quotes doubled, as OData wants)."""
    return "JoinWebUrl eq '{}'".format(url.replace("'", "''"))


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def session_reports(reports: Iterable[Mapping[str, Any]], spec: MeetingSpec) -> list[str]:
    """Reports of the session's meeting (Teams makes one each time the meeting empties), without
    a rehearsal long before the start."""
    earliest = spec.starts_at - REHEARSAL_BEFORE
    chosen = []
    for report in reports:
        started = parse_time(report.get("meetingStartDateTime"))
        if report.get("id") and (started is None or started >= earliest):
            chosen.append(str(report["id"]))
    return chosen


def _identity(record: Mapping[str, Any]) -> Mapping[str, Any]:
    identity = record.get("identity")
    return identity if isinstance(identity, Mapping) else {}


def needs_email(record: Mapping[str, Any], tenant_id: str) -> str | None:
    """The Entra id of a member of our tenant whose record carries no email (then Vilt looks the
    email up, so the person still matches)."""
    if record.get("emailAddress"):
        return None
    identity = _identity(record)
    user_id = str(identity.get("id") or "")
    tenant = str(identity.get("tenantId") or "")
    return user_id if user_id and tenant in ("", tenant_id) else None


def record_report(record: Mapping[str, Any], email: str | None = None) -> ParticipantReport:
    identity = _identity(record)
    user_id = str(identity.get("id") or "")
    address = str(record.get("emailAddress") or email or "").strip() or None
    name = str(identity.get("displayName") or "")
    intervals = []
    for item in record.get("attendanceIntervals") or []:
        if not isinstance(item, Mapping):
            continue
        joined, left = parse_time(item.get("joinDateTime")), parse_time(item.get("leaveDateTime"))
        if joined is not None and left is None and isinstance(item.get("durationInSeconds"), int):
            left = joined + timedelta(seconds=item["durationInSeconds"])
        if joined is not None and left is not None and left >= joined:
            intervals.append(Interval(joined, left))
    # a member of a tenant is the same Entra id in every report; a guest's id may change from one
    # report to the next, so a guest is known by email
    if user_id and identity.get("tenantId"):
        key = f"entra:{user_id}"
    elif address:
        key = f"email:{address.lower()}"
    else:
        key = f"guest:{user_id}" if user_id else f"name:{name}"
    return ParticipantReport(
        participant_key=key,
        display_name=name,
        email=address,
        role=str(record.get("role") or "Attendee").lower(),
        intervals=tuple(merge_intervals(intervals)),
    )


def participant_reports(reports: Iterable[ParticipantReport]) -> list[ParticipantReport]:
    """One report per person across every attendance report of the meeting."""
    grouped: dict[str, list[ParticipantReport]] = {}
    for report in reports:
        grouped.setdefault(report.participant_key, []).append(report)
    return [group[0] if len(group) == 1 else combine_reports(group) for group in grouped.values()]
