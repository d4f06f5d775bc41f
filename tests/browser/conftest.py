"""Browser tests: Playwright drives Debian's Chromium against a real ``vilt serve`` (uvicorn on
a free port, sandbox mode, SQLite). Without /usr/bin/chromium they are skipped, saying why.

One server and one browser serve the whole module; each test makes its own data relative
to the server's (sandbox) clock, so the order of the tests does not matter."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from vilt.services import accounts, passwords, users
from vilt.services.context import SYSTEM
from vilt.services.users import UserInput
from vilt.settings import Settings
from vilt.storage import migrate
from vilt.storage.secrets import SecretBox

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "browser-test-pw"

if not CHROMIUM.exists():
    pytest.skip(
        "Browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install chromium; "
        ".ci/run installs it); Playwright never downloads a browser here.",
        allow_module_level=True,
    )

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# People of the tests, per language; names and titles in the reader's language, so that any
# English on a Russian page is an untranslated string.
PEOPLE = {
    "en": {
        "admin": ("admin-en@browser.test", "Ada Admin"),
        "instructor": ("irene-en@browser.test", "Irene Instructor"),
        "learner": ("lena-en@browser.test", "Lena Learner"),
    },
    "ru": {
        "admin": ("admin-ru@browser.test", "Алла Админова"),
        "instructor": ("irina-ru@browser.test", "Ирина Преподавателева"),
        "learner": ("lena-ru@browser.test", "Лена Слушателева"),
    },
}


@dataclass
class Server:
    base: str
    api_key: str
    users: dict[str, dict[str, str]]
    """language → role → user id"""
    integration_id: str = ""
    api: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.api = httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {self.api_key}"})

    def call(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        response = self.api.request(method, f"/api/v1{path}", json=body)
        assert response.status_code == expect, response.text
        return response.json() if response.content else None

    def now(self) -> str:
        clock: str = self.call("GET", "/sandbox/clock")["now"]
        return clock

    def advance(self, seconds: float) -> None:
        self.call("POST", "/sandbox/clock", {"advance_seconds": seconds})

    def tick(self) -> None:
        self.call("POST", "/sandbox/tick")


async def _seed(database_url: str) -> tuple[str, dict[str, dict[str, str]]]:
    from vilt.clock import SystemClock
    from vilt.runtime import build_runtime

    settings = Settings(database_url=database_url, secret_key=SecretBox.generate_key())
    runtime = build_runtime(settings, clock=SystemClock())
    await migrate.upgrade(runtime.db)
    people: dict[str, dict[str, str]] = {}
    async with runtime.db.transaction() as tx:
        account = await accounts.create_account(runtime.ctx, tx, "Browser Academy")
        issued = await accounts.issue_api_key(runtime.ctx, tx, account.id, "browser tests")
        for language, roles in PEOPLE.items():
            for role, (email, name) in roles.items():
                user = await users.create(
                    runtime.ctx,
                    tx,
                    account.id,
                    UserInput(
                        email=email,
                        display_name=name,
                        roles=[role],
                        locale=language,
                        time_zone="Europe/Berlin" if language == "en" else "Europe/Moscow",
                    ),
                    SYSTEM,
                )
                await passwords.set_password(runtime.ctx, tx, account.id, user.id, PASSWORD, SYSTEM)
                people.setdefault(language, {})[role] = str(user.id)
    await runtime.aclose()
    return issued.token, people


# module-scoped: Playwright's sync API runs an event loop in this thread while the browser is
# open, which the asyncio tests of other modules must not find running
@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("browser")
    database_url = f"sqlite+aiosqlite:///{folder / 'vilt.db'}"
    # in a thread of its own: Playwright's sync API may hold this thread's event loop already
    with ThreadPoolExecutor(1) as pool:
        api_key, people = pool.submit(asyncio.run, _seed(database_url)).result()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "VILT_DATABASE_URL": database_url,
        "VILT_SANDBOX": "true",
        "VILT_BASE_URL": base,
        "VILT_SECRET_KEY": SecretBox.generate_key(),
        "VILT_WORKER_INTERVAL_SECONDS": "1",
        "VILT_LOG_LEVEL": "warning",
    }
    log = (folder / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "vilt.cli", "serve", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, (folder / "server.log").read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        found = Server(base, api_key, people)
        created = found.call(
            "POST",
            "/integrations",
            {
                "kind": "bigbluebutton",
                "name": "BBB",
                "settings": {
                    "server_url": f"{base}/sandbox/bigbluebutton/bigbluebutton/",
                    "secret": "sim-shared-secret",
                },
            },
            expect=201,
        )
        found.integration_id = created["id"]
        yield found
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Visit:
    """One person's browser tab, in one language."""

    page: Page
    server: Server
    language: str
    name: str

    def shot(self, step: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{self.name}-{self.language}-{step}.png"), full_page=True)
        if self.language == "ru":
            assert_translated(self.page)

    def go(self, path: str) -> None:
        self.page.goto(f"{self.server.base}{path}")

    def csrf(self) -> str:
        token = self.page.locator('input[name="csrf_token"]').first.get_attribute("value")
        assert token
        return token


def open_as(browser: Browser, server: Server, language: str, role: str, name: str, **context: Any) -> Visit:
    tab = browser.new_context(locale="ru-RU" if language == "ru" else "en-US", **context).new_page()
    tab.set_default_timeout(10_000)
    visit = Visit(tab, server, language, name)
    _OPEN.append(visit)
    visit.go("/signin")
    email = PEOPLE[language][role][0]
    tab.get_by_label("Эл. почта" if language == "ru" else "Email").fill(email)
    tab.get_by_label("Пароль" if language == "ru" else "Password").fill(PASSWORD)
    visit.shot("signin")
    tab.get_by_role("button", name="Войти" if language == "ru" else "Sign in").click()
    tab.wait_for_load_state()
    return visit


# Words in Latin letters a Russian page may show: product and protocol names, and technical
# tokens (URLs are removed before the check).
ALLOWED_LATIN = {
    "Vilt", "BigBlueButton", "BBB", "API", "REST", "OpenAPI", "URL", "HTTP", "IANA", "UTC", "Microsoft",
    "Zoom", "Teams", "Graph", "Entra", "OAuth", "Server-to-Server",
    "sha1", "sha256", "sha384", "sha512", "bbb-conf", "secret", "N",
    "Standard", "Webhooks", "ics", "Outlook", "Google", "Apple", "http", "https",
}  # fmt: skip
_URL = re.compile(r"https?://\S+")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_TEXTS = """() => {
  const texts = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent.trim();
    if (!text || node.parentElement.closest('[translate="no"], script, style, noscript, code')) continue;
    texts.push(text);
  }
  for (const el of document.querySelectorAll('[placeholder], [aria-label], [title], [alt], [data-label]')) {
    if (el.closest('[translate="no"]')) continue;
    for (const name of ['placeholder', 'aria-label', 'title', 'alt', 'data-label']) {
      if (el.hasAttribute(name)) texts.push(el.getAttribute(name));
    }
  }
  return texts;
}"""


def _english_messages() -> set[str]:
    from babel.messages.pofile import read_po

    from vilt.web.i18n import CATALOGS

    with (CATALOGS / "messages.pot").open("rb") as source:
        template = read_po(source)
    found: set[str] = set()
    for message in template:
        ids = [str(i) for i in (message.id if isinstance(message.id, tuple) else (message.id,))]
        found.update(i for i in ids if i and _LATIN_WORD.search(i) and "%(" not in i)
    return found


ENGLISH = _english_messages()


def assert_translated(page: Page) -> None:
    """Every text on the page is Russian: no English message of the catalog, and no word in
    Latin letters but names of products, protocols and technical tokens."""
    problems = []
    for text in page.evaluate(_TEXTS):
        if text in ENGLISH and text not in ("Vilt",):
            problems.append(f"untranslated message: {text!r}")
            continue
        words = [w for w in _LATIN_WORD.findall(_URL.sub("", text)) if w not in ALLOWED_LATIN]
        if words:
            problems.append(f"English words {words} in {text!r}")
    assert not problems, f"{page.url}:\n" + "\n".join(problems)


def unique(label: str) -> str:
    return f"{label} {uuid.uuid4().int % 100_000}"


_OPEN: list[Visit] = []


@pytest.fixture(autouse=True)
def _forget_tabs() -> Iterator[None]:
    yield
    for visit in _OPEN:
        visit.page.context.close()
    _OPEN.clear()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    outcome: Any = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for index, visit in enumerate(_OPEN):
            name = re.sub(r"\W+", "-", item.name)
            visit.page.screenshot(path=str(ARTIFACTS / f"FAILED-{name}-{index}.png"), full_page=True)
