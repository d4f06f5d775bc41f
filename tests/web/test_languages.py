"""Languages: the user's setting, else the browser's Accept-Language; dates per locale; the
Russian catalog covers every message, with the same placeholders."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tests.web.conftest import Site, csrf_of
from vilt.providers import registry
from vilt.web import domain_text
from vilt.web.i18n import CATALOGS, Texts, from_accept_language
from vilt.web.labels import LABELS
from vilt.web.provider_texts import PROVIDER_TEXTS

WEB = Path(__file__).resolve().parents[2] / "src" / "vilt" / "web"
LTI = Path(__file__).resolve().parents[2] / "src" / "vilt" / "api" / "lti"
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _russian() -> dict[object, object]:
    with (CATALOGS / "ru" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale="ru")
    return {m.id: m.string for m in catalog if m.id and not m.fuzzy}


def _extracted(root: Path, method_map: list[tuple[str, str]], options: dict[str, dict[str, str]]) -> set[Any]:
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    return {
        message for _, _, message, _, _ in extract_from_dir(str(root), method_map, options, keywords=keywords)
    }


def _product_messages() -> set[Any]:
    trimmed = {"templates/**.html": {"trim_blocks": "true", "lstrip_blocks": "true"}}
    return _extracted(WEB, [("**.py", "python"), ("templates/**.html", "jinja2")], trimmed) | _extracted(
        WEB.parent, [("i18n.py", "python")], {}
    )


def _lti_messages() -> set[Any]:
    """The LTI tool's pages: their templates, refusal sentences, notes and the Ultra script's texts."""
    return _extracted(LTI, [("**.py", "python"), ("templates/**.html", "jinja2")], {})


def _assert_translated(found: set[Any]) -> None:
    russian = _russian()
    missing = [m for m in found if not russian.get(m)]
    assert missing == []
    for message in found:
        ids = message if isinstance(message, tuple) else (message,)
        translated = russian[message]
        forms = translated if isinstance(translated, tuple) else (translated,)
        assert len(forms) == (3 if isinstance(message, tuple) else 1), message
        for form in forms:
            assert set(PLACEHOLDER.findall(str(form))) == set(PLACEHOLDER.findall(ids[-1])), message


def test_every_message_in_the_code_and_templates_has_a_russian_translation() -> None:
    found = _product_messages()
    assert len(found) > 400
    _assert_translated(found)


def test_every_message_of_the_lti_pages_has_a_russian_translation() -> None:
    found = _lti_messages()
    assert len(found) > 150
    assert "This LTI launch was refused" in found  # refusal titles
    assert "The id_token's signature does not verify." in found  # refusal sentences
    assert "Add a Vilt live session to %(course)s" in found  # templates
    assert "Proctored by Vilt" in found  # what the Ultra script shows
    _assert_translated(found)


def test_the_catalog_template_holds_the_lti_messages() -> None:
    """``make translations`` extracts the LTI pages too (babel.cfg), so nothing they say is dropped."""
    with (CATALOGS / "messages.pot").open("rb") as source:
        template = {m.id for m in read_po(source) if m.id}
    assert _lti_messages() - template == set()


def test_provider_settings_labels_and_value_words_are_in_the_catalog() -> None:
    russian = _russian()
    for kind in registry.kinds():
        schema = registry.info(kind).settings_model.model_json_schema()
        for prop in schema["properties"].values():
            for text in (prop.get("title"), prop.get("description")):
                if text:
                    assert text in PROVIDER_TEXTS, f"{kind}: add {text!r} to web/provider_texts.py"
                    assert russian.get(text), text
    for group in LABELS.values():
        for message in group.values():
            assert russian.get(message), message


def test_service_sentences_are_shown_in_russian_with_their_values() -> None:
    texts = Texts("ru")
    assert domain_text.translate("A title can have at most 255 characters (300 given).", texts) == (
        "Название — не длиннее 255 символов (сейчас 300)."
    )
    shown = domain_text.translate(
        "The session can be launched from 2026-05-04 09:00 UTC.", texts, "Europe/Moscow"
    )
    assert shown.startswith("Войти в сессию можно с ")
    assert "12:00" in shown  # in the reader's zone
    nested = domain_text.translate(
        "Check failed: Could not reach http://x.test/bigbluebutton/api: "
        "Could not connect to BigBlueButton at x.test.",
        texts,
    )
    assert nested == (
        "Проверка не пройдена: Нет связи с http://x.test/bigbluebutton/api: "
        "Не удалось подключиться к BigBlueButton по адресу x.test."
    )
    assert domain_text.translate("Something nobody listed.", texts) == "Something nobody listed."


def test_dates_and_durations_are_written_per_locale() -> None:
    instant = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert Texts("en").datetime(instant, "Europe/Berlin") == "Mon, Mar 2, 2026, 10:00\u202fAM"
    assert Texts("ru").datetime(instant, "Europe/Moscow") == "пн, 2 мар. 2026\u202fг., 12:00"
    assert Texts("ru").duration(90) == "1 ч 30 мин"
    assert from_accept_language("de-DE,ru;q=0.8,en;q=0.5") == "ru"
    assert from_accept_language("en-GB,ru;q=0.9") == "en"
    assert from_accept_language("fr") is None


async def test_the_users_setting_wins_over_the_browser(site: Site) -> None:
    visitor = site.browser(**{"Accept-Language": "ru-RU,ru;q=0.9"})
    assert "Войти" in (await visitor.get("/signin")).text
    english = site.browser(**{"Accept-Language": "en-US"})
    assert ">Sign in<" in (await english.get("/signin")).text
    client, _ = await site.signed_in("learner", locale="ru")
    client.headers["Accept-Language"] = "en-US"
    page = await client.get("/my/sessions")
    assert "Мои сессии" in page.text
    assert '<html lang="ru">' in page.text
    csrf = await csrf_of(client)
    changed = await client.post(
        "/settings", data={"csrf_token": csrf, "locale": "en", "time_zone": "Asia/Tokyo"}
    )
    assert changed.status_code == 303
    assert "My sessions" in (await client.get("/my/sessions")).text
    bad = await client.post("/settings", data={"csrf_token": csrf, "locale": "en", "time_zone": "Mars/Base"})
    assert bad.status_code == 422
    assert "&#39;Mars/Base&#39; is not a known IANA time zone." in bad.text
