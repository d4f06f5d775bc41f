"""Zoom JSON ⇄ Vilt values. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from vilt.core.attendance import Interval, ParticipantReport, merge_intervals
from vilt.core.sessions import EventKind
from vilt.providers.base import MeetingSpec, Person, Registrant, Registration

TOPIC_MAX = 200
AGENDA_MAX = 2000
REHEARSAL_BEFORE = timedelta(hours=1)
"""How long before the scheduled start a meeting instance still counts as the session's."""


def marker(session_key: str) -> str:
    """Written into the agenda, so a create that was sent but whose answer got lost is found
    again instead of repeated (Zoom takes no idempotency key)."""
    return f"[vilt:{session_key}]"


def zoom_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def is_webinar(spec: MeetingSpec) -> bool:
    return spec.kind == EventKind.WEBINAR


def _agenda(spec: MeetingSpec) -> str:
    tag = marker(spec.session_key)
    text = spec.description.strip()
    room = AGENDA_MAX - len(tag) - 2
    return f"{text[:room]}\n\n{tag}" if text else tag


def meeting_body(spec: MeetingSpec) -> dict[str, Any]:
    """``POST /users/{userId}/meetings`` (type 2, scheduled) or ``/webinars`` (type 5), with
    registration on and automatic approval: every learner gets a personal join URL."""
    webinar = is_webinar(spec)
    settings: dict[str, Any] = {
        "approval_type": 0,
        "registration_type": 1,
        "registrants_email_notification": False,
        "registrants_confirmation_email": False,
    }
    if not webinar:
        settings.update({"join_before_host": False, "waiting_room": False, "meeting_authentication": False})
    return {**update_body(spec), "type": 5 if webinar else 2, "settings": settings}


def update_body(spec: MeetingSpec) -> dict[str, Any]:
    """``PATCH /meetings/{id}``: what a session edit can change."""
    title = " ".join(spec.title.split())[:TOPIC_MAX] or "Session"
    return {
        "topic": title,
        "start_time": zoom_time(spec.starts_at),
        "duration": max(1, int(spec.duration.total_seconds() // 60)),
        "timezone": spec.time_zone,
        "agenda": _agenda(spec),
    }


def find_created(listed: Iterable[Mapping[str, Any]], session_key: str) -> Mapping[str, Any] | None:
    tag = marker(session_key)
    return next((m for m in listed if tag in str(m.get("agenda") or "")), None)


def split_name(name: str, email: str | None) -> tuple[str, str]:
    parts = name.split()
    if not parts:
        return ((email or "Learner").split("@")[0], "")
    return parts[0][:64], " ".join(parts[1:])[:64]


def registrant(person: Person) -> dict[str, Any]:
    first, last = split_name(person.name, person.email)
    return {"email": person.email, "first_name": first, "last_name": last}


def registrant_status(registrant: Registrant) -> dict[str, str]:
    """One entry of ``registrants/status``: the registrant id, with the email when known."""
    entry = {"id": registrant.registrant_id}
    if registrant.email:
        entry["email"] = registrant.email
    return entry


def registrations(people: Sequence[Person], answer: Mapping[str, Any]) -> list[Registration]:
    """``batch_registrants`` answers by email: each back to the person it was for."""
    by_email = {(p.email or "").strip().lower(): p for p in people}
    found = []
    for item in answer.get("registrants") or []:
        if not isinstance(item, Mapping):
            continue
        person = by_email.get(str(item.get("email") or "").strip().lower())
        registrant_id = str(item.get("registrant_id") or item.get("id") or "")
        if person is not None and registrant_id and item.get("join_url"):
            found.append(Registration(person.identity, registrant_id, str(item["join_url"])))
    return found


def session_instances(instances: Iterable[Mapping[str, Any]], spec: MeetingSpec) -> list[str]:
    """The past instances that belong to the session: started from an hour before its start until
    it was ended at the latest (the host's rehearsal the day before is not the session)."""
    earliest = spec.starts_at - REHEARSAL_BEFORE
    latest = spec.ends_at + spec.keep_alive
    chosen = []
    for instance in instances:
        started = parse_time(instance.get("start_time"))
        uuid = str(instance.get("uuid") or "")
        if uuid and started is not None and earliest <= started <= latest:
            chosen.append(uuid)
    return chosen


def _key(row: Mapping[str, Any]) -> str:
    registrant_id = str(row.get("registrant_id") or "")
    if registrant_id:
        return f"registrant:{registrant_id}"
    email = str(row.get("user_email") or "").strip().lower()
    if email:
        return f"email:{email}"
    user = str(row.get("participant_user_id") or row.get("id") or "")
    if user:
        return f"user:{user}"
    return f"name:{str(row.get('name') or '').strip()}"


def _interval(row: Mapping[str, Any]) -> Interval | None:
    joined = parse_time(row.get("join_time"))
    left = parse_time(row.get("leave_time"))
    if joined is None:
        return None
    if left is None:
        seconds = row.get("duration")
        left = joined + timedelta(seconds=seconds if isinstance(seconds, int) and seconds > 0 else 0)
    return Interval(joined, left) if left >= joined else None


def participant_reports(rows: Iterable[Mapping[str, Any]], host_email: str | None) -> list[ParticipantReport]:
    """The report has one row per join segment; one report per person, reconnects merged.
    A person is known by registrant id (bound at registration), then email, then Zoom user."""
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(_key(row), []).append(row)
    host = (host_email or "").strip().lower()
    reports = []
    for key, segments in grouped.items():
        email = next((str(r.get("user_email")).strip() for r in segments if r.get("user_email")), None)
        registrant_id = next((str(r["registrant_id"]) for r in segments if r.get("registrant_id")), None)
        intervals = [i for i in (_interval(r) for r in segments) if i is not None]
        reports.append(
            ParticipantReport(
                participant_key=key,
                display_name=next((str(r.get("name")) for r in segments if r.get("name")), ""),
                email=email,
                bound_identity=registrant_id,
                role="host" if host and email and email.lower() == host else "attendee",
                intervals=tuple(merge_intervals(intervals)),
            )
        )
    return reports
