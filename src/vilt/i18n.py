"""Languages, shared by every page (the product's and the LTI tool's): the Babel catalog,
choosing the language for a request, dates, times and durations written the way each locale
writes them, and the English sentences of the services shown in the reader's language.

The catalog is the committed ``.po`` file under ``vilt/web/translations`` (one file for
translators, whichever pages use a message); it is compiled in memory the first time a language
is used, so an install needs no build step and never serves a stale ``.mo``.

This module imports nothing of Vilt, so every layer may use it (see the import contracts)."""

from __future__ import annotations

import gettext as gettext_module
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property, lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.core import negotiate_locale
from babel.dates import format_skeleton, format_time, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from markupsafe import Markup, escape

LANGUAGES = ("en", "ru")
DEFAULT = "en"
LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}
CATALOGS = Path(__file__).parent / "web" / "translations"


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> gettext_module.NullTranslations:
    if language == DEFAULT:
        return gettext_module.NullTranslations()
    with (CATALOGS / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled)


def from_accept_language(header: str | None) -> str | None:
    """The best of our languages for an ``Accept-Language`` header, by its q-values."""
    if not header:
        return None
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, index, tag.strip().replace("_", "-")))
    preferred = [tag for _, _, tag in sorted(weighted)]
    # "ru-RU" should find "ru": offer the bare language after each tag
    expanded: list[str] = []
    for tag in preferred:
        expanded += [tag, tag.split("-")[0]]
    return negotiate_locale(expanded, list(LANGUAGES), sep="-")


def from_locale(tag: object) -> str | None:
    """Our language for a locale tag as an LMS sends it (``ru``, ``ru-RU``, ``en_US``), or None."""
    if not isinstance(tag, str):
        return None
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else None


def first_language(*candidates: str | None, accept_language: str | None = None) -> str:
    """The first candidate that is one of our languages; otherwise what the browser asks for;
    otherwise English."""
    for candidate in candidates:
        if candidate in LANGUAGES:
            return candidate
    return from_accept_language(accept_language) or DEFAULT


def choose_language(user_setting: str | None, chosen: str | None, accept_language: str | None) -> str:
    """The signed-in user's own setting first; otherwise what the visitor picked on the page,
    then what the browser asks for."""
    return first_language(user_setting, chosen, accept_language=accept_language)


@dataclass(frozen=True)
class Texts:
    """Translations and locale-aware formatting for one request."""

    language: str

    @property
    def _catalog(self) -> gettext_module.NullTranslations:
        return translations(self.language)

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.language)

    def gettext(self, message: str, **values: Any) -> str:
        text = self._catalog.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, count: int, **values: Any) -> str:
        text = self._catalog.ngettext(singular, plural, count)
        return text % {"num": count, **values}

    def markup_gettext(self, message: str, **values: Any) -> Markup:
        """For templates: the translation is trusted, the values are escaped."""
        text = self._catalog.gettext(message)
        # the catalog is ours and trusted; every value put into it is escaped
        return Markup(text % {k: escape(v) for k, v in values.items()} if values else text)  # noqa: S704

    def markup_ngettext(self, singular: str, plural: str, count: int, **values: Any) -> Markup:
        text = self._catalog.ngettext(singular, plural, count)
        return Markup(text % {"num": count, **{k: escape(v) for k, v in values.items()}})  # noqa: S704

    def date(self, instant: datetime, zone: str) -> str:
        return format_skeleton("yMMMEd", instant, tzinfo=ZoneInfo(zone), locale=self.language)

    def time(self, instant: datetime, zone: str) -> str:
        return format_time(instant, "short", tzinfo=ZoneInfo(zone), locale=self.language)

    def datetime(self, instant: datetime | None, zone: str = "UTC") -> str:
        """``Mon, Mar 2, 2026, 10:00 AM`` / ``пн, 2 мар. 2026 г., 10:00`` in ``zone``."""
        if instant is None:
            return ""
        pattern = str(self.locale.datetime_formats["medium"])
        return pattern.replace("{1}", self.date(instant, zone)).replace("{0}", self.time(instant, zone))

    def relative(self, delta: timedelta) -> str:
        """``in 12 minutes`` / ``через 12 минут``; ``3 hours ago`` / ``3 часа назад``."""
        return format_timedelta(delta, add_direction=True, threshold=1.5, locale=self.language)

    def duration(self, minutes: int) -> str:
        hours, rest = divmod(minutes, 60)
        if hours and rest:
            return self.gettext("%(hours)s h %(minutes)s min", hours=hours, minutes=rest)
        if hours:
            return self.gettext("%(hours)s h", hours=hours)
        return self.gettext("%(minutes)s min", minutes=rest)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.language)


# --- sentences from the services ----------------------------------------------------------------

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
INSTANTS = frozenset({"when", "at"})
"""Values that are instants (``2026-03-02 10:00 UTC``): shown in the reader's zone and language."""
NESTED = frozenset({"reason", "where", "note"})
"""Values that are sentences themselves, translated in turn."""


class Sentences:
    """Messages from the services (validation reasons, conflicts, refusals) are English
    sentences, some with values in them. Each known sentence is listed as a message with
    placeholders (``N_``), so a page shows it in the reader's language with the values kept; a
    sentence not listed is shown as it is.

    ``word`` names the message for a value that is itself a word to translate (a state, a kind):
    it gets the placeholder's name and the value, and answers a message or None."""

    def __init__(self, messages: Iterable[str], word: Callable[[str, str], str | None] | None = None) -> None:
        self._messages = tuple(messages)
        self._word = word

    @cached_property
    def _patterns(self) -> list[tuple[re.Pattern[str], str]]:
        patterns = []
        for message in self._messages:
            english = message.replace("%%", "%")
            parts = _PLACEHOLDER.split(english)
            regex = "".join(
                re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)" for index, part in enumerate(parts)
            )
            patterns.append((re.compile(f"^{regex}$", re.S), message))
        return patterns

    def translate(self, text: str | None, texts: Texts, zone: str = "UTC") -> str:
        """``text`` in the reader's language (instants in ``zone``), or unchanged if unknown."""
        if not text:
            return ""
        if texts.language == "en" and "UTC" not in text:
            return text
        for pattern, message in self._patterns:
            found = pattern.match(text)
            if found is None:
                continue
            values = {
                name: self._value(name, value, texts, zone) for name, value in found.groupdict().items()
            }
            return texts.gettext(message, **values) if values else texts.gettext(message)
        return text

    def _value(self, name: str, value: str, texts: Texts, zone: str) -> str:
        if name in INSTANTS:
            instant = _instant(value)
            if instant is not None:
                return texts.datetime(instant, zone)
        word = self._word(name, value) if self._word is not None else None
        if word is not None:
            return texts.gettext(word)
        if name in NESTED:
            return self._nested(value, texts, zone)
        return value

    def _nested(self, value: str, texts: Texts, zone: str) -> str:
        """A reason inside a sentence, often with its full stop taken off."""
        shown = self.translate(value, texts, zone)
        if shown != value or value.endswith("."):
            return shown
        shown = self.translate(value + ".", texts, zone)
        return value if shown == value + "." else shown.rstrip(".")


def _instant(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M UTC").replace(tzinfo=UTC)
    except ValueError:
        return None
