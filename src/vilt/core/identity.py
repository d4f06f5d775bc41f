"""How people are recognised: normalised emails and names."""

from __future__ import annotations

import re
import unicodedata

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def normalize_email(email: str) -> str:
    """Emails compare trimmed and case-insensitively."""
    return email.strip().lower()


def is_plausible_email(email: str) -> bool:
    return bool(_EMAIL.match(email.strip()))


def name_key(display_name: str) -> str:
    """A key under which "Ivan  Ivanov", "ivanov, ivan" and "Iván Ivanov" coincide."""
    decomposed = unicodedata.normalize("NFKD", display_name)
    without_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    tokens = [t for t in _NON_WORD.split(without_marks.casefold()) if t]
    return " ".join(sorted(tokens))
