"""BigBlueButton XML and analytics JSON ⇄ Vilt values. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from math import ceil
from typing import Any

from vilt.core.attendance import Engagement, Interval, ParticipantReport, merge_intervals
from vilt.core.launch import LaunchRole
from vilt.providers.base import LiveStatus, MeetingSpec, Person
from vilt.providers.bigbluebutton.client import Envelope, Params

NAME_MAX = 64
MIN_EXPIRY_MINUTES = 5


def meeting_id(session_key: str) -> str:
    """Our meetingID: stable per session, within ``[A-Za-z0-9_-]``."""
    return f"vilt-{session_key}"


def meeting_name(title: str) -> str:
    name = " ".join(title.split())[:NAME_MAX]
    return name if len(name) >= 2 else f"{name} session".strip()


def create_params(spec: MeetingSpec, now: datetime) -> Params:
    """``create`` parameters. The meeting must outlive the window: until the scheduled end plus
    the auto-end grace, or BigBlueButton expires it before anybody joins."""
    ends = spec.ends_at + spec.keep_alive
    expiry = max(MIN_EXPIRY_MINUTES, ceil((ends - now).total_seconds() / 60))
    params: list[tuple[str, str]] = [
        ("name", meeting_name(spec.title)),
        ("meetingID", meeting_id(spec.session_key)),
        # no duration cap: BigBlueButton counts ``duration`` from ``create`` (akka-apps'
        # MeetingExpiryTracker.startedOnInMs), Vilt creates meetings ahead of time, and a repeated
        # create changes nothing on a meeting that exists; Vilt ends the meeting itself (auto-end)
        # and BBB ends it a minute after everyone left
        ("duration", "0"),
        ("meetingKeepEvents", "true"),
        ("meetingExpireIfNoUserJoinedInMinutes", str(expiry)),
        ("meta_bbb-origin", "Vilt"),
    ]
    if spec.description:
        params.append(("welcome", spec.description[:500]))
    if "analytics" in spec.callback_urls:
        params.append(("meta_analytics-callback-url", spec.callback_urls["analytics"]))
    if "end" in spec.callback_urls:
        params.append(("meta_endCallbackUrl", spec.callback_urls["end"]))
    return params


def join_params(meeting: str, create_time: str | None, person: Person, role: LaunchRole) -> Params:
    params = [
        ("fullName", person.name or "Participant"),
        ("meetingID", meeting),
        ("role", "MODERATOR" if role == LaunchRole.HOST else "VIEWER"),
        ("userID", person.identity),
    ]
    if create_time:
        # a URL made for an earlier incarnation of the meeting must not join a later one
        params.append(("createTime", create_time))
    return params


def _epoch_ms(value: str) -> datetime | None:
    if not value or not value.isdigit() or int(value) == 0:
        return None
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


def live_status(envelope: Envelope) -> LiveStatus:
    """``getMeetingInfo``: whether the meeting runs and who is in it now."""
    present = []
    attendees = envelope.root.find("attendees")
    for node in attendees.findall("attendee") if attendees is not None else []:
        user_id = (node.findtext("userID") or "").strip()
        name = (node.findtext("fullName") or "").strip()
        role = (node.findtext("role") or "VIEWER").strip()
        key = user_id or f"name:{name}"
        present.append(
            ParticipantReport(
                participant_key=key,
                display_name=name,
                bound_identity=user_id or None,
                role="moderator" if role == "MODERATOR" else "viewer",
            )
        )
    return LiveStatus(
        exists=True,
        running=envelope.text("running") == "true",
        started_at=_epoch_ms(envelope.text("startTime")),
        ended_at=_epoch_ms(envelope.text("endTime")),
        present=tuple(present),
        data={"createTime": envelope.text("createTime")},
    )


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _event_times(items: Any) -> list[datetime]:
    times = []
    for item in items or []:
        raw = item.get("timestamp") if isinstance(item, Mapping) else item
        when = _timestamp(raw)
        if when is not None:
            times.append(when)
    return sorted(times)


def _session_intervals(
    joins: Sequence[datetime], leaves: Sequence[datetime], finish: datetime | None
) -> list[Interval]:
    """One client session (one internal user id): each join is closed by the first leave after it
    and before the next join. A join with no such leave (a reconnect logged without its leave)
    lasts until the next join; the last open join lasts until the meeting finished."""
    intervals = []
    index = 0
    for position, joined in enumerate(joins):
        following = joins[position + 1] if position + 1 < len(joins) else None
        while index < len(leaves) and leaves[index] < joined:
            index += 1  # a leave with no join before it: nothing to close
        if index < len(leaves) and (following is None or leaves[index] <= following):
            intervals.append(Interval(joined, leaves[index]))
            index += 1
        elif following is not None:
            intervals.append(Interval(joined, following))
        else:
            intervals.append(Interval(joined, max(finish or joined, joined)))
    return intervals


def _overall_intervals(
    joins: Sequence[datetime], leaves: Sequence[datetime], finish: datetime | None
) -> list[Interval]:
    """All of a person's sessions mixed (older payloads without ``sessions``): the i-th join with
    the i-th leave covers exactly the instants when at least one session was open, even when two
    sessions (two tabs or devices) overlap; joins left open end at ``finish``."""
    intervals = []
    for position, joined in enumerate(joins):
        left = leaves[position] if position < len(leaves) else finish or joined
        if left >= joined:
            intervals.append(Interval(joined, left))
    return intervals


def _intervals(attendee: Mapping[str, Any], finish: datetime | None) -> tuple[Interval, ...]:
    sessions = attendee.get("sessions") or []
    if isinstance(sessions, Mapping):  # keyed by internal user id in some versions
        sessions = list(sessions.values())
    found: list[Interval] = []
    for session in sessions if isinstance(sessions, list) else []:
        if isinstance(session, Mapping):
            found += _session_intervals(
                _event_times(session.get("joins")), _event_times(session.get("lefts")), finish
            )
    if not found:
        found = _overall_intervals(
            _event_times(attendee.get("joins")), _event_times(attendee.get("leaves")), finish
        )
    seconds = _count(attendee.get("duration"))
    if not found and seconds and finish is not None:
        found = [Interval(finish - timedelta(seconds=seconds), finish)]
    # reconnects and parallel sessions overlap: merged, never double-counted
    return tuple(merge_intervals(found))


_CAMEL_BOUNDARY = re.compile(r"(?<=[A-Z])(?=[A-Z][a-z])|(?<=[a-z\d])(?=[A-Z])")


def snake_key(key: str) -> str:
    """What BigBlueButton's callback script does to every hash key of the payload (Rails'
    ``underscore``), including the ext_user_id keys of poll votes: ``User-7`` arrives as
    ``user_7``."""
    if not re.search(r"[A-Z-]|::", key):
        return key
    return _CAMEL_BOUNDARY.sub("_", key.replace("::", "/")).replace("-", "_").lower()


def _voted(poll: Mapping[str, Any], ext: str) -> bool:
    votes = poll.get("votes")
    return bool(ext) and isinstance(votes, Mapping) and (ext in votes or snake_key(ext) in votes)


def _count(value: Any) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


def analytics_reports(body: Mapping[str, Any]) -> list[ParticipantReport]:
    """The attendees of an analytics callback, one per external user id."""
    data = body.get("data") or {}
    if not isinstance(data, Mapping):
        return []
    finish = _timestamp(data.get("finish"))
    polls = [p for p in data.get("polls") or [] if isinstance(p, Mapping)]
    reports = []
    for attendee in data.get("attendees") or []:
        if not isinstance(attendee, Mapping):
            continue
        ext = str(attendee.get("ext_user_id") or "").strip()
        internal = str(attendee.get("id") or "").strip()
        engagement = attendee.get("engagement")
        engagement = engagement if isinstance(engagement, Mapping) else {}
        answered = sum(1 for p in polls if _voted(p, ext))
        if not answered:
            # votes keyed some other way: the attendee's own count, at most one per poll
            answered = _count(engagement.get("poll_votes"))
            answered = min(answered, len(polls)) if polls else answered
        reports.append(
            ParticipantReport(
                participant_key=ext or internal or str(attendee.get("name", "")),
                display_name=str(attendee.get("name") or ""),
                bound_identity=ext or None,
                role="moderator" if attendee.get("moderator") else "viewer",
                intervals=_intervals(attendee, finish),
                engagement=Engagement(
                    polls_answered=answered,
                    polls_asked=len(polls),
                    chats=_count(engagement.get("chats")),
                    talks=_count(engagement.get("talks")),
                ),
            )
        )
    return reports
