"""Languages: the Babel catalogs, choosing the language for a request, and dates, times and
durations written the way each locale writes them.

The catalogs are the committed ``.po`` files; they are compiled in memory the first time a
language is used, so an install needs no build step and never serves a stale ``.mo``."""

from __future__ import annotations

import gettext as gettext_module
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
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
CATALOGS = Path(__file__).parent / "translations"


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


def choose_language(user_setting: str | None, chosen: str | None, accept_language: str | None) -> str:
    """The signed-in user's own setting first; otherwise what the visitor picked on the page,
    then what the browser asks for."""
    for candidate in (user_setting, chosen):
        if candidate in LANGUAGES:
            return candidate
    return from_accept_language(accept_language) or DEFAULT


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
