"""Matching attendance to learners: identity, then email; a name is only ever a suggestion."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from tests.core.support import PROPERTIES, T0, minutes
from vilt.core.attendance import Engagement, Interval, ParticipantReport
from vilt.core.identity import name_key, normalize_email
from vilt.core.matching import Directory, Match, MatchMethod, identify, match_reports


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    email: str
    alias: str | None
    identity: str
    enrolled: bool


PEOPLE = (
    Person("u-ana", "Ana Lima", "Ana.Lima@Example.com", "ana@lima.example", "bbb-ana", True),
    Person("u-boris", "Boris Ivanov", "boris@example.com", None, "bbb-boris", True),
    Person("u-chen", "Chen Wei", "chen@example.com", "wei.chen@corp.example", "reg-chen", True),
    Person("u-dora", "Dora Keller", "dora@example.com", None, "bbb-dora", False),  # not enrolled
    # two people with the same name: a name can never decide between them
    Person("u-ivan1", "Ivan Petrov", "ivan.one@example.com", None, "bbb-ivan1", True),
    Person("u-ivan2", "Ivan Petrov", "ivan.two@example.com", None, "bbb-ivan2", True),
)
BY_ID = {p.user_id: p for p in PEOPLE}


def build_directory() -> Directory[str, str]:
    """As the service builds it: emails and aliases normalised, names under ``name_key``."""
    emails = {normalize_email(p.email): p.user_id for p in PEOPLE}
    emails.update({normalize_email(p.alias): p.user_id for p in PEOPLE if p.alias})
    names: dict[str, list[str]] = {}
    for p in PEOPLE:
        names.setdefault(name_key(p.name), []).append(p.user_id)
    return Directory(
        identities={p.identity: p.user_id for p in PEOPLE},
        emails=emails,
        enrollments={p.user_id: f"enr-{p.user_id}" for p in PEOPLE if p.enrolled},
        names=names,
    )


DIRECTORY = build_directory()


PADDING = ("", " ", "  ", "\t", "\n", " \t")


def typed(email: str, seed: int) -> str:
    """``email`` as a person might type it into a provider's form: any case, stray spaces.

    Each bit of ``seed`` decides the case of one character; what is left picks the padding.
    """
    cased = "".join(c.upper() if seed >> i & 1 else c.lower() for i, c in enumerate(email))
    rest = seed >> len(email)
    return PADDING[rest % len(PADDING)] + cased + PADDING[rest // len(PADDING) % len(PADDING)]


def respelled(name: str, seed: int) -> str:
    """``Ana Lima`` as ``lima, ana``, ``ANA  LIMA``..."""
    tokens = name.split()
    if seed & 1:
        tokens.reverse()
    tokens = [t.upper() if seed >> 1 & 1 else t.lower() if seed >> 2 & 1 else t for t in tokens]
    return (" ", "  ", ", ")[(seed >> 3) % 3].join(tokens)


seeds = st.integers(0, 2**40)
as_typed = st.sampled_from(PEOPLE).flatmap(
    lambda p: st.tuples(st.just(p), seeds.map(lambda n: typed(p.email, n)))
)
name_variants = st.sampled_from(PEOPLE).flatmap(lambda p: seeds.map(lambda n: respelled(p.name, n)))


@dataclass(frozen=True)
class Drawn:
    report: ParticipantReport
    expected_user: str | None
    expected_method: MatchMethod


NOBODY = len(PEOPLE)
NO_MATCH_EMAILS = (None, "", "   ", "stranger@example.com")


@st.composite
def reports(draw: st.DrawFn, index: int) -> Drawn:
    """One provider row with a known expected match.

    Each of identity, email and name is a person's (possibly respelled) or nobody's, drawn
    independently. Every row gets its own short interval, far from the others, so the test can
    tell afterwards which rows went into which match.
    """
    who = st.integers(0, NOBODY + 1)  # a person, or one of two ways of being nobody
    by_identity, by_email, by_name, seed, spelling = draw(st.tuples(who, who, who, seeds, seeds))
    identity = (
        PEOPLE[by_identity].identity if by_identity < NOBODY else (None, "unknown-id")[by_identity - NOBODY]
    )
    email: str | None
    if by_email < NOBODY:
        person = PEOPLE[by_email]
        email = typed(person.alias if person.alias and spelling & 1 else person.email, spelling >> 1)
    else:
        email = NO_MATCH_EMAILS[(by_email - NOBODY) * 2 + seed % 2]
    name = respelled(PEOPLE[by_name].name, seed) if by_name < NOBODY else ("", "Guest 4")[by_name - NOBODY]
    start = T0 + minutes(index * 10)
    report = ParticipantReport(
        participant_key=f"row-{index}",
        display_name=name,
        email=email,
        bound_identity=identity,
        intervals=(Interval(start, start + minutes(5)),),
        engagement=Engagement(polls_answered=seed % 4, polls_asked=3),
    )
    if by_identity < NOBODY:
        return Drawn(report, PEOPLE[by_identity].user_id, MatchMethod.IDENTITY)
    if by_email < NOBODY:
        return Drawn(report, PEOPLE[by_email].user_id, MatchMethod.EMAIL)
    return Drawn(report, None, MatchMethod.NONE)


drawn_reports = st.integers(0, 8).flatmap(lambda n: st.tuples(*(reports(i) for i in range(n))))


def rows_in(match: Match[str, str], rows: tuple[Drawn, ...]) -> set[int]:
    """Indexes of the rows whose interval ended up in ``match``."""
    return {
        index
        for index, row in enumerate(rows)
        if any(
            m.start <= row.report.intervals[0].start and row.report.intervals[0].end <= m.end
            for m in match.report.intervals
        )
    }


@PROPERTIES
@given(drawn_reports)
def test_every_report_appears_in_exactly_one_match(rows: tuple[Drawn, ...]) -> None:
    matches = match_reports([r.report for r in rows], DIRECTORY)
    seen: list[int] = []
    for match in matches:
        inside = rows_in(match, rows)
        assert inside, f"a match with no report: {match}"
        seen.extend(inside)
    assert sorted(seen) == list(range(len(rows)))


@PROPERTIES
@given(drawn_reports)
def test_identity_then_email_decide_and_one_person_gets_one_match(rows: tuple[Drawn, ...]) -> None:
    matches = match_reports([r.report for r in rows], DIRECTORY)
    matched = [m for m in matches if m.user_id is not None]
    assert len({m.user_id for m in matched}) == len(matched), "one match per person"
    expected_users = {r.expected_user for r in rows if r.expected_user is not None}
    assert {m.user_id for m in matched} == expected_users
    for match in matched:
        assert match.user_id is not None
        mine = [rows[i] for i in rows_in(match, rows)]
        assert {r.expected_user for r in mine} == {match.user_id}
        strongest = (
            MatchMethod.IDENTITY
            if any(r.expected_method == MatchMethod.IDENTITY for r in mine)
            else MatchMethod.EMAIL
        )
        assert match.method == strongest
        assert match.enrollment_id == DIRECTORY.enrollments.get(match.user_id)
        assert match.suggestions == ()
        # the rows are combined: the person's time is every row's time
        assert match.report.total_seconds == 5 * 60 * len(mine)


@PROPERTIES
@given(drawn_reports)
def test_unmatched_reports_change_nothing_and_only_carry_suggestions(rows: tuple[Drawn, ...]) -> None:
    matches = match_reports([r.report for r in rows], DIRECTORY)
    unmatched = [m for m in matches if m.is_unmatched]
    assert len(unmatched) == sum(1 for r in rows if r.expected_user is None)
    for match in unmatched:
        assert match.method == MatchMethod.NONE
        assert match.enrollment_id is None
        assert not match.is_enrolled
        assert match.suggestions == tuple(DIRECTORY.names.get(name_key(match.report.display_name), ()))


@PROPERTIES
@given(name_variants)
def test_a_display_name_alone_never_produces_a_user(name: str) -> None:
    report = ParticipantReport("row-1", display_name=name)
    assert identify(report, DIRECTORY) is None
    (match,) = match_reports([report], DIRECTORY)
    assert match.user_id is None
    assert match.enrollment_id is None
    assert match.suggestions, "the name is known, so it is suggested to the reviewer"


@PROPERTIES
@given(as_typed)
def test_email_matches_whatever_its_case_and_surrounding_spaces(drawn: tuple[Person, str]) -> None:
    person, typed = drawn
    assert identify(ParticipantReport("row-1", email=typed), DIRECTORY) == (person.user_id, MatchMethod.EMAIL)


def test_the_identity_bound_at_join_wins_over_the_email() -> None:
    # Boris joined through Ana's personal link but typed his own email into the provider's form
    report = ParticipantReport("row-1", email="boris@example.com", bound_identity="bbb-ana")
    assert identify(report, DIRECTORY) == ("u-ana", MatchMethod.IDENTITY)
    (match,) = match_reports([report], DIRECTORY)
    assert (match.user_id, match.enrollment_id, match.method) == ("u-ana", "enr-u-ana", MatchMethod.IDENTITY)


def test_an_unknown_identity_falls_back_to_the_email() -> None:
    report = ParticipantReport("row-1", email="CHEN@example.com ", bound_identity="from-another-session")
    assert identify(report, DIRECTORY) == ("u-chen", MatchMethod.EMAIL)


def test_an_alias_matches_its_owner() -> None:
    report = ParticipantReport("row-1", email="Wei.Chen@Corp.Example")
    assert identify(report, DIRECTORY) == ("u-chen", MatchMethod.EMAIL)


def test_a_name_shared_by_two_people_suggests_both_and_decides_nothing() -> None:
    (match,) = match_reports([ParticipantReport("row-1", display_name="petrov, IVAN")], DIRECTORY)
    assert match.user_id is None
    assert set(match.suggestions) == {"u-ivan1", "u-ivan2"}


def test_a_name_with_accents_is_still_suggested() -> None:
    (match,) = match_reports([ParticipantReport("row-1", display_name="Ána Límá")], DIRECTORY)
    assert match.user_id is None
    assert match.suggestions == ("u-ana",)


def test_reconnects_of_one_person_become_one_match_without_double_counting() -> None:
    rows = [
        ParticipantReport("r1", email="ana@lima.example", intervals=(Interval(T0, T0 + minutes(30)),)),
        ParticipantReport(
            "r2", bound_identity="bbb-ana", intervals=(Interval(T0 + minutes(20), T0 + minutes(40)),)
        ),
        ParticipantReport("r3", email="boris@example.com", intervals=(Interval(T0, T0 + minutes(10)),)),
    ]
    matches = match_reports(rows, DIRECTORY)
    by_user = {m.user_id: m for m in matches}
    assert set(by_user) == {"u-ana", "u-boris"}
    assert by_user["u-ana"].method == MatchMethod.IDENTITY  # the strongest of the two rows
    assert by_user["u-ana"].report.total_seconds == 40 * 60
    assert by_user["u-boris"].report.total_seconds == 10 * 60


def test_a_known_person_who_is_not_enrolled_is_matched_but_not_enrolled() -> None:
    (match,) = match_reports([ParticipantReport("row-1", email="dora@example.com")], DIRECTORY)
    assert match.user_id == "u-dora"
    assert match.enrollment_id is None
    assert not match.is_enrolled
    assert not match.is_unmatched
