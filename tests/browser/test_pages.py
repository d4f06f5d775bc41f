"""What administrators, instructors and learners do on the pages, in English and in Russian.
Every step leaves a screenshot in test-artifacts/screenshots; on Russian pages every text is
checked to be Russian (see ``assert_translated``)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import Server, open_as, unique

LANGUAGES = ["en", "ru"]
T = {
    "en": {
        "add_integration": "Add integration",
        "name": "Name",
        "server_url": "Server URL",
        "secret": "API token (shared secret)",
        "create": "Create",
        "check": "Check",
        "check_passed": "Check passed: Connected.",
        "check_failed": "Check failed",
        "linked_already": "is already linked to integration 'BBB'",
        "delete": "Delete",
        "delete_confirm": "Delete the integration",
        "deleted": "The integration was deleted.",
        "add_event": "Add event",
        "title": "Title",
        "trainer": "Trainer",
        "capacity": "Capacity",
        "hours": "Hours",
        "integration": "Integration",
        "too_long": "A session lasts at most 23 h 59 min",
        "title_required": "A title is required.",
        "synced": "Synced with the provider",
        "add_alternative": "Add alternative session",
        "session_title": "Session title",
        "launch": "Launch",
        "opens": "Opens in 15 minutes",
        "refused": "The session can be launched from",
        "edit": "Edit",
        "reason": "Reason",
        "save_change": "Save the change",
        "update": "UPDATE ROSTER",
        "available_from": "Available from",
        "understand": "I understand that the roster will be overwritten",
        "overwrite": "Update and overwrite",
        "updated": "The roster was updated",
        "submit": "SUBMIT ROSTER",
        "submit_confirm": "Submit the roster",
        "submitted": "The roster was submitted",
        "what_changed": "What changed",
        "completed": "Completed",
        "failed": "Failed",
        "webhooks": "Webhooks",
        "add_endpoint": "Add endpoint",
        "bad_url": "Give an absolute http:// or https:// URL.",
        "secret_once": "Copy the signing secret now",
        "rotate": "Rotate secret",
        "rotate_confirm": "Rotate the secret",
        "delete_endpoint": "Delete the endpoint",
        "no_endpoints": "No webhook endpoints yet.",
    },
    "ru": {
        "add_integration": "Добавить интеграцию",
        "name": "Название",
        "server_url": "Адрес сервера",
        "secret": "Токен API (общий секрет)",
        "create": "Создать",
        "check": "Проверить",
        "check_passed": "Проверка пройдена: Подключено.",
        "check_failed": "Проверка не пройдена",
        "linked_already": "уже подключена к: интеграции «BBB»",
        "delete": "Удалить",
        "delete_confirm": "Удалить интеграцию",
        "deleted": "Интеграция удалена.",
        "add_event": "Добавить мероприятие",
        "title": "Название",
        "trainer": "Тренер",
        "capacity": "Вместимость",
        "hours": "Часы",
        "integration": "Интеграция",
        "too_long": "Сессия длится не больше 23 ч 59 мин",
        "title_required": "Укажите название.",
        "synced": "Согласовано с провайдером",
        "add_alternative": "Добавить альтернативную сессию",
        "session_title": "Название сессии",
        "launch": "Войти",
        "opens": "Откроется через 15 минут",
        "refused": "Войти в сессию можно с",
        "edit": "Изменить",
        "reason": "Причина",
        "save_change": "Сохранить изменение",
        "update": "ОБНОВИТЬ СПИСОК",
        "available_from": "Доступно с",
        "understand": "Я понимаю, что список будет перезаписан",
        "overwrite": "Обновить и перезаписать",
        "updated": "Список обновлён",
        "submit": "ОТПРАВИТЬ СПИСОК",
        "submit_confirm": "Отправить список",
        "submitted": "Список отправлен",
        "what_changed": "Что изменилось",
        "completed": "Пройдено",
        "failed": "Не пройдено",
        "webhooks": "Вебхуки",
        "add_endpoint": "Добавить адрес",
        "bad_url": "Укажите полный адрес, начинающийся с http:// или https://.",
        "secret_once": "Скопируйте секрет подписи сейчас",
        "rotate": "Сменить секрет",
        "rotate_confirm": "Сменить секрет",
        "delete_endpoint": "Удалить адрес получателя",
        "no_endpoints": "Адресов вебхуков пока нет.",
    },
}


def label(text: str) -> re.Pattern[str]:
    """A field's label exactly, whether or not it is marked required (a trailing *)."""
    return re.compile(rf"^{re.escape(text)}( \*)?$")


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _session(
    server: Server, title: str, starts_in: timedelta, learners: list[str], **extra: Any
) -> dict[str, Any]:
    """An event with one session on the test integration, learners enrolled (through the API)."""
    starts = (_instant(server.now()) + starts_in).replace(microsecond=0)
    event = server.call("POST", "/events", {"title": title, "capacity": 10, **extra}, expect=201)
    session = server.call(
        "POST",
        f"/events/{event['id']}/sessions",
        {
            "starts_at": starts.isoformat(),
            "time_zone": "Europe/Moscow",
            "duration_minutes": 60,
            "integration_id": server.integration_id,
        },
        expect=201,
    )
    for learner in learners:
        server.call("POST", f"/sessions/{session['id']}/enrollments", {"user_id": learner}, expect=201)
    created: dict[str, Any] = session
    return created


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_administrator_creates_an_integration_and_presses_check(
    browser: Browser, server: Server, language: str
) -> None:
    t = T[language]
    admin = open_as(browser, server, language, "admin", "admin-integration")
    page = admin.page
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Интеграции" if language == "ru" else "Integrations"
    )
    admin.shot("list")
    page.get_by_role("link", name=t["add_integration"]).click()
    name = unique("Сервер видеоконференций" if language == "ru" else "Video server")
    page.get_by_label(label(t["name"])).fill(name)
    # the server the tests' own integration uses: one provider account, one integration
    page.get_by_label(t["server_url"]).fill(f"{server.base}/sandbox/bigbluebutton/bigbluebutton/")
    page.get_by_label(t["secret"]).fill("sim-shared-secret")
    page.get_by_role("button", name=t["create"]).click()
    expect(page.locator("#f-settings .error")).to_contain_text(t["linked_already"])
    admin.shot("create-duplicate")
    # the same simulator under another name is another account
    page.get_by_label(t["server_url"]).fill(
        server.base.replace("127.0.0.1", "localhost") + "/sandbox/bigbluebutton/bigbluebutton/"
    )
    page.get_by_label(t["secret"]).fill("not-the-secret")
    page.get_by_role("button", name=t["create"]).click()
    # the settings are checked before they are saved: the reason shows at the secret's field
    secret_error = page.locator("#f-settings-secret ~ .error")
    expect(secret_error).to_contain_text(t["check_failed"])
    expect(page.locator("#f-settings-secret")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-settings-secret")).to_have_value("")  # a secret is never sent back
    admin.shot("create-refused")
    page.get_by_label(t["secret"]).fill("sim-shared-secret")
    page.get_by_role("button", name=t["create"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator(".flash.ok")).to_be_visible()
    admin.shot("created")
    assert "sim-shared-secret" not in page.content()
    page.get_by_role("button", name=t["check"]).click()  # htmx: the result replaces the state
    result = page.locator(".check-result")
    expect(result).to_contain_text(t["check_passed"])
    expect(result).to_contain_text("BigBlueButton")
    admin.shot("checked")
    admin.go("/admin/integrations")
    expect(page.get_by_role("link", name=name)).to_be_visible()
    # unused, so it can be deleted (and the next run can link that account again)
    page.get_by_role("link", name=name).click()
    page.locator("summary", has_text=t["delete"]).click()
    page.get_by_role("button", name=t["delete_confirm"]).click()
    expect(page.locator(".flash.ok")).to_contain_text(t["deleted"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_instructor_schedules_a_session_and_an_alternative_session(
    browser: Browser, server: Server, language: str
) -> None:
    t = T[language]
    instructor = open_as(browser, server, language, "instructor", "instructor-schedule")
    page = instructor.page
    page.get_by_role("link", name=t["add_event"]).click()
    page.get_by_label(t["trainer"]).fill("Ирина Преподавателева" if language == "ru" else "Irene Instructor")
    page.get_by_label(label(t["capacity"])).fill("20")
    page.get_by_label(t["hours"]).fill("24")
    page.get_by_label(t["integration"]).select_option(label="BBB")
    page.get_by_role("button", name=t["create"]).click()
    # every problem next to its field, and listed at the top
    expect(page.locator("#f-title ~ .error")).to_have_text(t["title_required"])
    expect(page.locator("#f-duration_minutes .error")).to_contain_text(t["too_long"])
    expect(page.locator(".error-summary li")).to_have_count(2)
    instructor.shot("form-errors")
    title = unique("Введение в видеоконференции" if language == "ru" else "Introduction to video classes")
    page.get_by_label(label(t["title"])).fill(title)
    page.get_by_label(t["hours"]).fill("1")
    page.get_by_role("button", name=t["create"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator(".session-card")).to_have_count(1)
    expect(page.locator(".session-card").first).to_contain_text(t["synced"])
    instructor.shot("event")
    page.get_by_role("link", name=t["add_alternative"]).click()
    alternative = "Вечерняя группа" if language == "ru" else "Evening group"
    page.get_by_label(t["session_title"]).fill(alternative)
    instructor.shot("alternative-form")
    page.get_by_role("button", name=t["create"]).click()
    cards = page.locator(".session-card")
    expect(cards).to_have_count(2)
    expect(cards.nth(1)).to_contain_text(alternative)
    expect(cards.nth(1)).to_contain_text(t["synced"])
    instructor.shot("two-sessions")
    cards.nth(1).get_by_role("link", name=alternative).click()
    expect(page.locator("#session-status")).to_be_visible()
    instructor.shot("session")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_learner_launches_inside_the_window_and_is_refused_before_it(
    browser: Browser, server: Server, language: str
) -> None:
    t = T[language]
    learner_id = server.users[language]["learner"]
    title = unique("Практикум" if language == "ru" else "Workshop")
    session = _session(server, title, timedelta(minutes=30), [learner_id])
    phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
    learner = open_as(browser, server, language, "learner", "learner-launch", **phone)
    page = learner.page
    card = page.locator(".card", has_text=title)
    button = card.get_by_role("button", name=t["launch"])
    expect(button).to_be_disabled()
    expect(card.locator(".countdown")).to_contain_text(t["opens"])
    learner.shot("before-window")
    # the server refuses too, whatever the page shows
    refused = page.request.post(
        f"{server.base}/my/sessions/{session['id']}/launch",
        form={"csrf_token": learner.csrf()},
        max_redirects=0,
    )
    assert refused.status == 409
    assert t["refused"] in refused.text()
    page.goto(f"{server.base}/my/sessions/{session['id']}/card")
    learner.shot("refused")
    server.advance(16 * 60)
    learner.go("/my/sessions")
    button = page.locator(".card", has_text=title).get_by_role("button", name=t["launch"])
    expect(button).to_be_enabled()
    learner.shot("inside-window")
    with page.expect_popup() as popup:
        button.click()
    room = popup.value
    room.wait_for_load_state()
    assert "/sandbox/bigbluebutton/" in room.url
    assert PEOPLE_NAME[language] in room.content()
    room.screenshot(path=str(learner_artifact(language)))


PEOPLE_NAME = {"en": "Lena Learner", "ru": "Лена Слушателева"}


def learner_artifact(language: str) -> Any:
    from tests.browser.conftest import ARTIFACTS

    return ARTIFACTS / f"learner-launch-{language}-room.png"


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_administrator_edits_updates_and_submits_a_roster(
    browser: Browser, server: Server, language: str
) -> None:
    t = T[language]
    learners = [server.users[language]["learner"], server.users[language]["instructor"]]
    title = unique("Итоговое занятие" if language == "ru" else "Final class")
    session = _session(
        server, title, timedelta(minutes=10), learners, completion_rule={"kind": "min_percent", "value": 50}
    )
    server.advance(10 * 60)
    server.tick()
    meeting_id = session["provider"]["ref"]
    learner = server.call("GET", f"/sessions/{session['id']}/enrollments")["items"][0]
    joined = server.api.post(
        f"/sandbox/bigbluebutton/_sim/meetings/{meeting_id}/join",
        json={"email": None, "name": "Lena", "user_id": _identity(server, session, learner)},
    )
    assert joined.status_code == 200, joined.text
    server.advance(45 * 60)
    server.call("POST", f"/sessions/{session['id']}/end")
    server.tick()
    admin = open_as(browser, server, language, "admin", "admin-roster")
    page = admin.page
    admin.go(f"/sessions/{session['id']}/roster")
    rows = page.locator("#roster tbody tr")
    expect(rows).to_have_count(2)
    expect(page.get_by_role("button", name=t["update"])).to_be_disabled()
    expect(page.locator("#update-note")).to_contain_text(t["available_from"])
    admin.shot("roster")
    # edit one learner by hand, with a reason (htmx replaces the table)
    row = rows.filter(has_text=PEOPLE_INSTRUCTOR[language])
    row.get_by_text(t["edit"]).click()
    row.get_by_label(t["reason"]).fill(
        "Сдал работу позже" if language == "ru" else "Handed in the work later"
    )
    row.locator("select[name=completion]").select_option("completed")
    admin.shot("editing")
    row.get_by_role("button", name=t["save_change"]).click()
    completion = page.locator("#roster tbody tr", has_text=PEOPLE_INSTRUCTOR[language]).locator("td").nth(1)
    expect(completion).to_contain_text(t["completed"])
    page.reload()
    expect(page.locator(".versions li")).to_have_count(2)
    page.locator(".versions li").first.get_by_role("link", name=t["what_changed"]).click()
    expect(page.locator(".versions li").first.locator("table.diff")).to_be_visible()
    admin.shot("edited")
    # a day later on the sandbox clock (still signed in: sessions expire by real time), Update
    # roster overwrites the roster, after a confirmation
    server.advance(24 * 3600)
    page.reload()
    expect(page).to_have_url(re.compile(rf"/sessions/{session['id']}/roster"))
    completion = page.locator("#roster tbody tr", has_text=PEOPLE_INSTRUCTOR[language]).locator("td").nth(1)
    page.locator("summary", has_text=t["update"]).click()
    page.get_by_label(t["understand"]).check()
    admin.shot("update-confirm")
    page.get_by_role("button", name=t["overwrite"]).click()
    expect(page.locator(".flash.ok")).to_contain_text(t["updated"])
    expect(completion).not_to_contain_text(t["completed"])
    admin.shot("updated")
    page.locator("summary", has_text=t["submit"]).click()
    page.get_by_role("button", name=t["submit_confirm"]).click()
    expect(page.locator(".flash.ok").first).to_contain_text(t["submitted"])
    expect(page.locator("summary", has_text=t["edit"])).to_have_count(0)  # locked
    admin.shot("submitted")


PEOPLE_INSTRUCTOR = {"en": "Irene Instructor", "ru": "Ирина Преподавателева"}


def _identity(server: Server, session: dict[str, Any], enrollment: dict[str, Any]) -> str:
    """The identity a learner joins with (BigBlueButton's userID): read from the launch URL."""
    from urllib.parse import parse_qs, urlsplit

    answer = server.call("POST", f"/sessions/{session['id']}/launch", {"user_id": enrollment["user_id"]})
    return str(parse_qs(urlsplit(answer["url"]).query)["userID"][0])


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_administrator_adds_a_webhook_endpoint_and_rotates_its_secret(
    browser: Browser, server: Server, language: str
) -> None:
    t = T[language]
    admin = open_as(browser, server, language, "admin", "admin-webhooks")
    page = admin.page
    admin.go("/admin/users")  # the people page, where administrators add and change people
    expect(page.get_by_role("heading", level=1)).to_have_text("Люди" if language == "ru" else "People")
    admin.shot("people")
    page.get_by_role("navigation").get_by_role("link", name=t["webhooks"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t["webhooks"])
    admin.shot("list")
    page.get_by_label(re.compile("^(URL|Адрес)")).fill("lms.example.com/hooks")
    page.get_by_role("button", name=t["add_endpoint"]).click()
    expect(page.locator(".error-summary")).to_contain_text(t["bad_url"])
    admin.shot("refused")
    url = f"https://lms.example.com/hooks/{unique(language)}"
    page.get_by_label(re.compile("^(URL|Адрес)")).fill(url)
    page.get_by_role("button", name=t["add_endpoint"]).click()
    expect(page.locator(".flash.ok")).to_contain_text(t["secret_once"])
    first = page.locator("#issued-secret").input_value()
    assert first.startswith("whsec_")
    admin.shot("created")
    row = page.locator("tr", has_text=url)
    row.locator("summary", has_text=t["rotate"]).click()
    row.get_by_role("button", name=t["rotate_confirm"]).click()
    second = page.locator("#issued-secret").input_value()
    assert second.startswith("whsec_")
    assert second != first
    admin.shot("rotated")
    row = page.locator("tr", has_text=url)
    row.locator("summary", has_text=t["delete"]).click()
    row.get_by_role("button", name=t["delete_endpoint"]).click()
    expect(page.locator("tr", has_text=url)).to_have_count(0)
