"""iCalendar output, parsed back: the wall-clock times, the zone rules across DST, SEQUENCE and
cancellation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar

from tests.core.support import PROPERTIES
from vilt.core.calendar import CalendarEntry, feed, session_calendar, vtimezone

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def entry(starts_at: datetime, zone: str = "Europe/Berlin", **extra: object) -> CalendarEntry:
    values: dict[str, object] = {
        "uid": f"{starts_at:%Y%m%d%H%M}@vilt",
        "title": "Onboarding",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=1),
        "time_zone": zone,
        "sequence": 0,
        "canceled": False,
        "updated_at": NOW,
    }
    values.update(extra)
    return CalendarEntry(**values)  # type: ignore[arg-type]


def test_a_session_is_published_in_its_own_zone_and_comes_back_as_the_same_instant() -> None:
    # 10:00 in Berlin on the day summer time starts is 08:00 UTC, not 09:00
    starts = datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
    parsed = Calendar.from_ical(session_calendar(entry(starts, sequence=3), NOW))
    assert parsed["METHOD"] == "PUBLISH"
    event = parsed.walk("VEVENT")[0]
    assert "TZID=Europe/Berlin:20260329T100000" in event.to_ical().decode()
    assert event.decoded("dtstart") == starts
    assert event.decoded("dtend") == starts + timedelta(hours=1)
    assert event["SEQUENCE"] == 3
    assert event["STATUS"] == "CONFIRMED"
    assert [tz["TZID"] for tz in parsed.walk("VTIMEZONE")] == ["Europe/Berlin"]


def test_a_canceled_session_is_sent_with_method_cancel() -> None:
    parsed = Calendar.from_ical(session_calendar(entry(NOW, canceled=True, sequence=4), NOW))
    assert parsed["METHOD"] == "CANCEL"
    event = parsed.walk("VEVENT")[0]
    assert (event["STATUS"], event["SEQUENCE"]) == ("CANCELLED", 4)
    assert str(event["ORGANIZER"]).startswith("mailto:")


def test_a_feed_keeps_the_same_wall_clock_time_on_both_sides_of_a_dst_change() -> None:
    before = datetime(2026, 10, 22, 8, 0, tzinfo=UTC)  # 10:00 CEST
    after = datetime(2026, 10, 29, 9, 0, tzinfo=UTC)  # 10:00 CET
    parsed = Calendar.from_ical(feed([entry(before), entry(after, tentative=True)], NOW, "Learner"))
    assert parsed["X-WR-CALNAME"] == "Learner"
    times = [e.decoded("dtstart") for e in parsed.walk("VEVENT")]
    assert [t.astimezone(UTC) for t in times] == [before, after]
    assert [t.astimezone(ZoneInfo("Europe/Berlin")).hour for t in times] == [10, 10]
    assert parsed.walk("VEVENT")[1]["STATUS"] == "TENTATIVE"
    observances = parsed.walk("VTIMEZONE")[0].subcomponents
    change = next(
        o
        for o in observances
        if o.name == "STANDARD" and o.decoded("tzoffsetfrom") != o.decoded("tzoffsetto")
    )
    # the onset in the local time before it: 03:00 CEST
    assert change.decoded("dtstart") == datetime(2026, 10, 25, 3, 0)


def test_utc_sessions_need_no_vtimezone() -> None:
    parsed = Calendar.from_ical(feed([entry(NOW, zone="UTC")], NOW, "x"))
    assert parsed.walk("VTIMEZONE") == []
    assert parsed.walk("VEVENT")[0].decoded("dtstart") == NOW


zones = st.sampled_from(
    ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Tehran", "Europe/Moscow"]
)


@PROPERTIES
@given(zones, st.integers(0, 3 * 365 * 24))
def test_every_observance_starts_exactly_where_the_zone_changes_its_offset(zone: str, hours: int) -> None:
    first = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=hours)
    timezone = vtimezone(zone, first, first + timedelta(days=200))
    info = ZoneInfo(zone)
    for observance in timezone.subcomponents[1:]:
        offset_from = observance.decoded("tzoffsetfrom")
        offset_to = observance.decoded("tzoffsetto")
        onset = (observance.decoded("dtstart") - offset_from).replace(tzinfo=UTC)
        assert onset.astimezone(info).utcoffset() == offset_to
        assert (onset - timedelta(seconds=1)).astimezone(info).utcoffset() == offset_from
        assert observance.name == ("DAYLIGHT" if onset.astimezone(info).dst() else "STANDARD")
