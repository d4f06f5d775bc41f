"""iCalendar (RFC 5545/5546) for sessions: one session as an ``.ics``, or a learner's schedule as
a feed. Times are written in the session's own zone with its VTIMEZONE, so a client shows the
right wall-clock time on both sides of a DST change; SEQUENCE grows with every change a calendar
shows, and a canceled session is sent with METHOD:CANCEL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress, vText

PRODID = "-//Vilt//Virtual classrooms//EN"


@dataclass(frozen=True)
class CalendarEntry:
    uid: str
    title: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    sequence: int
    canceled: bool
    updated_at: datetime
    description: str = ""
    location: str = ""
    url: str | None = None
    tentative: bool = False
    """Waitlisted: shown, but not confirmed."""
    organizer_name: str = "Vilt"
    organizer_email: str = "no-reply@vilt.invalid"


def _event(entry: CalendarEntry, now: datetime) -> Event:
    zone = ZoneInfo(entry.time_zone)
    event = Event()
    event.add("uid", entry.uid)
    event.add("dtstamp", now)
    event.add("dtstart", entry.starts_at.astimezone(zone))
    event.add("dtend", entry.ends_at.astimezone(zone))
    event.add("summary", entry.title)
    event.add("sequence", entry.sequence)
    event.add("last-modified", entry.updated_at)
    status = "CANCELLED" if entry.canceled else "TENTATIVE" if entry.tentative else "CONFIRMED"
    event.add("status", status)
    if entry.description:
        event.add("description", entry.description)
    if entry.location:
        event.add("location", entry.location)
    if entry.url:
        event.add("url", entry.url)
    organizer = vCalAddress(f"mailto:{entry.organizer_email}")
    organizer.params["cn"] = vText(entry.organizer_name)
    event.add("organizer", organizer)
    return event


def _calendar(entries: Sequence[CalendarEntry], now: datetime, method: str, name: str | None) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
        calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT1H")
    zones: dict[str, tuple[datetime, datetime]] = {}
    for entry in entries:
        if entry.time_zone not in ("UTC", "Etc/UTC"):
            first, last = zones.get(entry.time_zone, (entry.starts_at, entry.ends_at))
            zones[entry.time_zone] = (min(first, entry.starts_at), max(last, entry.ends_at))
    for tzid, (first, last) in sorted(zones.items()):
        calendar.add_component(vtimezone(tzid, first, last))
    for entry in entries:
        calendar.add_component(_event(entry, now))
    data: bytes = calendar.to_ical()
    return data


def vtimezone(tzid: str, first: datetime, last: datetime) -> Timezone:
    """The zone's rules from a day before ``first`` to a day after ``last``.

    Each observance starts at the transition written in the local time *before* it
    (TZOFFSETFROM), as RFC 5545 says; found by scanning the zone in steps of six hours (no zone
    changes its offset twice within that) and narrowing each change down to the second."""
    zone = ZoneInfo(tzid)
    start = (first - timedelta(days=1)).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    end = (last + timedelta(days=1)).astimezone(UTC)
    timezone = Timezone()
    timezone.add("tzid", tzid)
    offset = _offset(zone, start)
    timezone.add_component(_observance(zone, start, offset, offset))
    moment = start
    while moment < end:
        following = moment + timedelta(hours=6)
        if _offset(zone, following) != offset:
            low, high = moment, following
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                low, high = (middle, high) if _offset(zone, middle) == offset else (low, middle)
            new_offset = _offset(zone, high)
            timezone.add_component(_observance(zone, high, offset, new_offset))
            offset = new_offset
        moment = following
    return timezone


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    found = instant.astimezone(zone).utcoffset()
    assert found is not None
    return found


def _observance(
    zone: ZoneInfo, instant: datetime, before: timedelta, after: timedelta
) -> TimezoneStandard | TimezoneDaylight:
    local = instant.astimezone(zone)
    observance = TimezoneDaylight() if local.dst() else TimezoneStandard()
    observance.add("dtstart", (instant.astimezone(UTC) + before).replace(tzinfo=None))
    observance.add("tzoffsetfrom", before)
    observance.add("tzoffsetto", after)
    observance.add("tzname", local.tzname() or "")
    return observance


def session_calendar(entry: CalendarEntry, now: datetime) -> bytes:
    """One session: METHOD:PUBLISH, or METHOD:CANCEL once it is canceled."""
    return _calendar([entry], now, "CANCEL" if entry.canceled else "PUBLISH", None)


def feed(entries: Sequence[CalendarEntry], now: datetime, name: str) -> bytes:
    """A subscribed schedule: every entry, a canceled one marked STATUS:CANCELLED."""
    return _calendar(entries, now, "PUBLISH", name)
