"""How people are recognised: emails compare trimmed and case-insensitively; names under one key."""

from __future__ import annotations

import pytest

from vilt.core.identity import is_plausible_email, name_key, normalize_email


@pytest.mark.parametrize(
    "typed", ["Ana@Example.COM", "  ana@example.com", "ana@example.com\t\n", " ANA@EXAMPLE.COM "]
)
def test_emails_compare_trimmed_and_case_insensitively(typed: str) -> None:
    assert normalize_email(typed) == "ana@example.com"


@pytest.mark.parametrize("email", ["ana@example.com", " a.b+tag@sub.example.org ", "ivan@почта.рф"])
def test_plausible_emails(email: str) -> None:
    assert is_plausible_email(email)


@pytest.mark.parametrize(
    "email", ["", "ana", "ana@", "@example.com", "ana@example", "a na@example.com", "a@b@c.d"]
)
def test_implausible_emails(email: str) -> None:
    assert not is_plausible_email(email)


@pytest.mark.parametrize(
    "variant", ["Ivan  Ivanov", "ivanov, ivan", "Iván Ivanov", "IVANOV IVAN", " ivan-ivanov "]
)
def test_spellings_of_one_name_share_a_key(variant: str) -> None:
    assert name_key(variant) == name_key("Ivan Ivanov") == "ivan ivanov"


def test_different_names_have_different_keys() -> None:
    assert name_key("Ivan Ivanov") != name_key("Ivan Petrov")
    assert name_key("Анна Петрова") == name_key("петрова анна")
    assert name_key("") == ""
