"""The LTI tool's pages in Russian: the launch's ``launch_presentation.locale`` chooses the
language and is kept as the user's setting for the pages after the launch; before a user is
known (a refused launch, registration) the browser's ``Accept-Language`` does."""

from __future__ import annotations

import ast
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from babel.messages.pofile import read_po

from tests.conftest import BASE_URL
from tests.lti.conftest import Lms
from tests.lti.flows import CUSTOM
from tests.lti.platform import INSTRUCTOR, ISSUER, LEARNER, LaunchSpec, new_key, parse_form
from tests.lti.test_launch_refusals import CLAIM_CASES, crafted, reason
from tests.lti.test_proctoring import proctoring_launch
from tests.lti.test_uef import configure_ultra
from vilt.api.lti.texts import say
from vilt.i18n import CATALOGS, Texts

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
TECHNICAL = {
    "Vilt", "LTI", "LMS", "UTC", "JWT", "BBB", "BigBlueButton", "RS256",
    "id", "token", "nonce", "sub", "exp", "iat", "kid",
}  # fmt: skip
"""Latin words a Russian page may show: product and protocol names, claim names (``id_token``
reads as two words here)."""
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]*")


def presenting(locale: str) -> dict[str, Any]:
    return {LTI + "launch_presentation": {"document_target": "iframe", "locale": locale}}


def _english_messages() -> set[str]:
    with (CATALOGS / "messages.pot").open("rb") as source:
        template = read_po(source)
    return {
        str(m.id) for m in template if isinstance(m.id, str) and _LATIN_WORD.search(m.id) and "%(" not in m.id
    }


ENGLISH = _english_messages()


class _Texts(HTMLParser):
    """What a reader sees: text (not in code, scripts or styles), the title, labels of fields."""

    SKIPPED = ("script", "style", "code")

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self._skipping.append(tag)
        for name, value in attrs:
            if name in ("placeholder", "aria-label", "title", "alt") and value:
                self.texts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self._skipping and data.strip():
            self.texts.append(data.strip())


def assert_russian(page: httpx.Response, *data: str) -> None:
    """The page is written in Russian: no English message of the catalog, no Latin word but
    technical ones and the words of ``data`` (titles, names the test gave)."""
    assert '<html lang="ru">' in page.text, page.text
    allowed = TECHNICAL | {w for d in data for w in _LATIN_WORD.findall(d)}
    parser = _Texts()
    parser.feed(page.text)
    problems = []
    for text in parser.texts:
        if text in ENGLISH and text not in allowed:
            problems.append(f"untranslated message: {text!r}")
            continue
        words = [w for w in _LATIN_WORD.findall(re.sub(r"https?://\S+", "", text)) if w not in allowed]
        if words:
            problems.append(f"English words {words} in {text!r}")
    assert not problems, "\n".join(problems) + "\n" + page.text


async def _users(lms: Lms) -> dict[str, str]:
    found = (await lms.harness.get("/api/v1/users", params={"limit": 50})).json()["items"]
    return {u["email"]: u["locale"] for u in found}


async def test_deep_linking_and_the_landings_follow_the_launch_locale(lms: Lms) -> None:
    bbb = await lms.harness.bbb_integration()
    teacher = LaunchSpec(
        "teacher-1",
        [INSTRUCTOR],
        name="Tina Teacher",
        email="tina@school.test",
        deep_linking=True,
        extra=presenting("ru"),
    )
    picker = await lms.browser.launch(teacher)
    assert picker.status_code == 200, picker.text
    assert "Добавить онлайн-сессию Vilt в курс «Live Teaching 101»" in picker.text
    assert_russian(picker, "Live Teaching 101", "UTC", bbb["name"], "bigbluebutton")
    assert (await _users(lms))["tina@school.test"] == "ru"  # kept as the user's setting

    wrong = await lms.browser.post_form(picker, {"event_id": "", "title": "", "starts_at": ""})
    assert wrong.status_code == 400
    assert "Дайте новому мероприятию название или выберите существующее мероприятие." in wrong.text
    assert_russian(wrong, "Live Teaching 101", "UTC", bbb["name"], "bigbluebutton")
    answer = await lms.browser.post_form(
        picker,
        {
            "event_id": "",
            "title": "Safety briefing",
            "starts_at": "2026-03-02T11:00",
            "time_zone": "UTC",
            "duration_minutes": "60",
            "integration_id": bbb["id"],
            "score_maximum": "10",
        },
    )
    assert answer.status_code == 200, answer.text
    assert "Возвращаемся в курс" in answer.text
    assert_russian(answer)
    action, form = parse_form(answer.text)
    await lms.browser.client.post(action, data=form)
    custom = {CUSTOM: lms.platform.deep_link_answers[-1]["items"][0]["custom"]}

    # the instructor's management page, a locale with a region
    management = await lms.browser.launch(
        LaunchSpec("teacher-1", [INSTRUCTOR], name="Tina Teacher", extra={**custom, **presenting("ru-RU")})
    )
    assert management.status_code == 200, management.text
    assert "управление" in management.text
    assert "Импортировать участников курса из LMS" in management.text
    assert_russian(management, "Safety briefing", "UTC")

    # the learner's page: auto-enrolled, Join opens 15 minutes early
    lms.browser.client.cookies.clear()
    learner = LaunchSpec(
        "student-1",
        [LEARNER],
        name="Sam Student",
        email="sam@school.test",
        extra={**custom, **presenting("ru")},
    )
    page = await lms.browser.launch(learner)
    assert page.status_code == 200, page.text
    assert "записан(а)" in page.text
    assert "Вход откроется пн, 2 мар. 2026\u202fг., 10:45" in page.text
    assert_russian(page, "Safety briefing", "UTC")
    # pages after the launch follow the stored setting, whatever the browser says
    lms.browser.client.headers["Accept-Language"] = "en-US"
    again = await lms.browser.client.get(str(page.url))
    assert_russian(again, "Safety briefing", "UTC")
    # a launch naming English switches back (en_US as some platforms write it)
    lms.browser.client.cookies.clear()
    english = await lms.browser.launch(
        LaunchSpec("student-1", [LEARNER], name="Sam Student", extra={**custom, **presenting("en_US")})
    )
    assert '<html lang="en">' in english.text
    assert "Join opens Mon, Mar 2, 2026, 10:45\u202fAM" in english.text
    assert (await _users(lms))["sam@school.test"] == "en"


async def test_without_a_locale_a_new_user_gets_the_browsers_language(lms: Lms) -> None:
    lms.browser.client.headers["Accept-Language"] = "ru-RU,ru;q=0.9,en;q=0.5"
    page = await lms.browser.launch(LaunchSpec("s-2", [LEARNER], name="Nia", email="nia@school.test"))
    assert page.status_code == 200, page.text
    assert "Преподаватель ещё не настроил эту онлайн-сессию." in page.text
    assert_russian(page, "Weekly live class")
    assert (await _users(lms))["nia@school.test"] == "ru"
    # the user's setting then wins over another browser
    lms.browser.client.headers["Accept-Language"] = "en"
    again = await lms.browser.launch(LaunchSpec("s-2", [LEARNER], name="Nia"))
    assert '<html lang="ru">' in again.text


def _refused_in_russian(page: httpx.Response, code: str, detail: str, *data: str) -> None:
    assert page.status_code in (400, 401, 403, 404), page.text
    assert f'<code id="reason">{code}</code>' in page.text
    assert "Вход через LTI отклонён" in page.text
    assert detail in page.text, page.text
    assert_russian(page, *data)


async def _fields(lms: Lms, spec: LaunchSpec) -> dict[str, str]:
    params, _ = await lms.browser.begin(spec)
    page = await lms.browser.client.get(f"{ISSUER}/auth?{urlencode(params)}")
    return parse_form(page.text)[1]


async def test_refused_launches_are_explained_in_the_browsers_language(lms: Lms) -> None:
    lms.browser.client.headers["Accept-Language"] = "ru-RU,ru;q=0.9"
    spec = LaunchSpec("student-9", [LEARNER], name="Sam")
    launch = f"{BASE_URL}/lti/launch"

    # a bad signature
    params, _ = await lms.browser.begin(spec)
    claims = lms.platform.claims_for(params)
    other_private, _ = new_key()
    forged = lms.platform.sign(claims, key=other_private)
    refused = await lms.browser.client.post(launch, data={"id_token": forged, "state": params["state"]})
    _refused_in_russian(refused, "signature_invalid", "Подпись id_token не проходит проверку.")

    # a replayed launch: its state is spent, and a replayed nonce does not match a new sign-in
    fields = await _fields(lms, spec)
    assert (await lms.browser.client.post(launch, data=fields)).status_code == 303
    lms.browser.client.cookies.clear()
    replayed = await lms.browser.client.post(launch, data=fields)
    _refused_in_russian(
        replayed,
        "oidc_used",
        "Эта ссылка для входа уже использована (повторный запрос); начните заново из LMS.",
    )
    fresh = await _fields(lms, spec)
    nonce_replayed = await lms.browser.client.post(
        launch, data={"id_token": fields["id_token"], "state": fresh["state"]}
    )
    _refused_in_russian(
        nonce_replayed, "nonce_mismatch", "Одноразовый код (nonce) токена не совпадает с этим входом"
    )

    # an unknown deployment, in the launch and already at the login
    params, _ = await lms.browser.begin(spec)
    claims = lms.platform.claims_for(params)
    claims[LTI + "deployment_id"] = "dep-unknown"
    unknown = await lms.browser.client.post(
        launch, data={"id_token": lms.platform.sign(claims), "state": params["state"]}
    )
    _refused_in_russian(
        unknown, "deployment_unknown", "Развёртывание «dep-unknown» не зарегистрировано", "dep-unknown"
    )
    at_login = await lms.browser.client.get(
        f"{BASE_URL}/lti/login",
        params={
            "iss": ISSUER,
            "login_hint": "u1",
            "target_link_uri": f"{BASE_URL}/lti/launch",
            "client_id": "vilt-client",
            "lti_deployment_id": "dep-x",
        },
    )
    _refused_in_russian(at_login, "deployment_unknown", "Развёртывание «dep-x» не зарегистрировано", "dep-x")

    # without Accept-Language, English
    lms.browser.client.headers.pop("Accept-Language")
    english = await lms.browser.client.post(launch, data={"id_token": forged, "state": "made-up"})
    assert "This LTI launch was refused" in english.text
    assert '<html lang="en">' in english.text


async def test_a_refusal_after_the_token_is_verified_follows_the_launch_locale(lms: Lms) -> None:
    refused = await lms.browser.launch(
        LaunchSpec("s-1", [LEARNER], deep_linking=True, extra=presenting("ru"))
    )
    assert refused.status_code == 403
    _refused_in_russian(
        refused, "not_instructor", "Добавлять мероприятия Vilt в курс могут только преподаватели."
    )


async def test_a_signed_in_users_errors_are_in_their_language(lms: Lms) -> None:
    page = await lms.browser.launch(LaunchSpec("s-3", [LEARNER], name="Ola", extra=presenting("ru")))
    link_id = urlsplit(str(page.url)).path.rsplit("/", 1)[1]
    lms.browser.client.headers["Accept-Language"] = "en"
    other = await lms.browser.client.get(f"{BASE_URL}/lti/links/00000000-0000-0000-0000-000000000000")
    assert other.status_code == 403
    assert "Эта страница относится к другой ссылке курса; откройте Vilt по той ссылке в LMS." in other.text
    assert "Этому пользователю недоступно" in other.text
    assert_russian(other)
    lms.browser.client.cookies.clear()
    expired = await lms.browser.client.get(f"{BASE_URL}/lti/links/{link_id}")
    assert "Please launch Vilt again from your course" in expired.text  # nobody signed in: the browser's


async def test_the_ultra_extension_shows_its_texts_in_the_users_language(lms: Lms) -> None:
    learn = await configure_ultra(lms)
    launched = await lms.browser.launch(
        LaunchSpec("s-4", [LEARNER], name="Ivan", target=f"{BASE_URL}/lti/uef", extra=presenting("ru")),
        follow=False,
    )
    assert launched.status_code == 303, launched.text
    back = await lms.browser.client.get(launched.headers["location"])
    callback = await lms.browser.client.get(back.headers["location"])
    page = await lms.browser.client.get(BASE_URL + callback.headers["location"])
    assert '<html lang="ru">' in page.text
    found = re.search(r'id="vilt-uef-config">(.*?)</script>', page.text, re.S)
    assert found is not None
    config = json.loads(found.group(1))
    assert config["texts"]["panelTitle"] == "Прокторинг от Vilt"
    assert config["texts"]["saveFailed"] == "Vilt не удалось сохранить настройки прокторинга: %(reason)s"
    assert learn.issued  # Learn gave its token
    save = await lms.browser.client.post(
        f"{BASE_URL}/lti/uef/settings",
        json={"course_id": "c", "content_id": "x", "enabled": True},
        headers={"X-Vilt-Session": config["session"]},
    )
    assert save.status_code == 403
    problem = save.json()
    assert problem["title"] == "Этому пользователю недоступно"
    assert problem["detail"] == "Настройки прокторинга могут менять только преподаватели и администраторы."
    assert problem["status"] == 403


async def test_every_claim_refusal_is_explained_in_russian(lms: Lms) -> None:
    """Each check of the claims, the key and the login has its sentence in the catalog."""
    lms.browser.client.headers["Accept-Language"] = "ru"
    data = ("vilt-client", "dep-unknown", "LtiSubmissionReviewRequest", "1.1", "evil.test", ISSUER)
    for code, change in CLAIM_CASES:
        refused = await crafted(lms, change)
        assert reason(refused) == code
        assert "Вход через LTI отклонён" in refused.text
        assert_russian(refused, *data)
    assert reason(await crafted(lms, lambda c: None, kid="no-such-kid")) == "kid_unknown"
    algorithm = await crafted(lms, lambda c: None, key="a-shared-secret-of-32-bytes-long!", algorithm="HS256")
    assert "принимается только RS256" in algorithm.text
    assert_russian(algorithm, "HS256", "RS256")
    login = {"iss": ISSUER, "login_hint": "u1", "target_link_uri": f"{BASE_URL}/lti/launch"}
    for params, code in (
        ({**login, "iss": "https://unknown.test"}, "platform_unknown"),
        ({**login, "target_link_uri": "https://evil.test/"}, "target_foreign"),
        ({"iss": ISSUER}, "login_incomplete"),
    ):
        page = await lms.browser.client.get(f"{BASE_URL}/lti/login", params=params)
        assert reason(page) == code
        assert_russian(page, "login_hint")


async def test_the_proctoring_check_is_in_the_launch_language(lms: Lms) -> None:
    spec = proctoring_launch()
    spec.extra.update(presenting("ru"))
    check = await lms.browser.launch(spec)
    assert check.status_code == 200, check.text
    assert "Перед началом подтвердите свою личность" in check.text
    assert_russian(check, "Carla Candidate")
    missing = await lms.browser.post_form(check, {"confirmed_name": "", "agree": "yes"})
    assert missing.status_code == 400
    assert "Введите своё полное имя, чтобы подтвердить личность." in missing.text
    assert_russian(missing, "Carla Candidate")
    started = await lms.browser.post_form(check, {"confirmed_name": "Carla Candidate", "agree": "yes"})
    assert "Начинаем тест" in started.text
    assert_russian(started)


REST_ONLY = {
    # answers of /api/v1/lti (JSON for integrators, in English like the rest of the REST API)
    "No such session in the linked event.",
    "The tool's signing keys are shared by every account of this Vilt, so with several accounts only "
    "the operator rotates them: run `vilt lti key rotate` on the server.",
    "No such proctored attempt in this account.",
    "Choose pause, resume, terminate, update or flag.",
    "The platform offered no Assessment Control Service for this attempt.",
    "The platform does not accept '{}' for this attempt; it offered {}.",
    "A severity is between 0 and 1.",
    "The platform refused the {} (HTTP {}).",
    "The Assessment Control Service is unreachable ({}).",
    "No such LTI platform in this account.",
    "This field is required.",
    "Give an https URL (http only for localhost or in sandbox mode).",
    "A platform with issuer {} and client id {} is registered already (possibly in another account); a "
    "launch could not tell them apart.",
    "Too long.",
    "A deployment id is 1 to 255 characters.",
    "Keep the old key between 0 hours and 90 days.",
}
_RAISING = {
    "LaunchRefused",
    "Forbidden",
    "NotFound",
    "Conflict",
    "one",
    "add",
    "ServiceError",
    "SignInNeeded",
}


def _sentence(node: ast.expr) -> str | None:
    """The English of a literal or f-string argument, with ``{}`` for each value."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(str(v.value) if isinstance(v, ast.Constant) else "{}" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _sentence(node.left), _sentence(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.IfExp):
        return _sentence(node.body)
    return None


def test_every_sentence_the_lti_code_refuses_with_is_listed_for_translation() -> None:
    """A new refusal in the LTI services or pages must be added to ``api/lti/texts.py`` (and the
    catalog), or it would show in English on a Russian page."""
    source = Path(__file__).resolve().parents[2] / "src" / "vilt"
    files = [*(source / "services" / "lti").glob("*.py"), *(source / "api" / "lti").glob("*.py")]
    russian = Texts("ru")
    unlisted = []
    for path in [*files, source / "core" / "lti.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in _RAISING:
                continue
            for argument in node.args:
                english = _sentence(argument)
                if not english or " " not in english or english in REST_ONLY:
                    continue
                sample = english.replace("{}", "x1")
                if say(sample, russian) == sample:
                    unlisted.append(f"{path.name}: {english}")
    assert unlisted == []
