"""The Ultra extension in a real (headless) Chromium, inside a fake Ultra page on another
origin: hello and the MessagePort, authorization, the proctoring registration with the
placement handle, the settings portal, and settings-saved answered with its correlationId
within 5 seconds: success, a refusal, and a server too slow to answer in time.

Debian's Chromium (/usr/bin/chromium) is driven by Playwright; no browser is downloaded."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import uvicorn

from tests.lti.conftest import Lms
from tests.lti.learn import FakeLearn
from tests.lti.platform import INSTRUCTOR
from tests.lti.test_uef import HANDLE, configure_ultra, extension_page_path

CHROMIUM = Path("/usr/bin/chromium")
SAVED = "proctoring-service:settings-saved"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's Chromium is not installed at /usr/bin/chromium"
    ),
]


class Site:
    """One real HTTP server for the browser: ``localhost`` is Learn, ``127.0.0.1`` is Vilt (two
    origins, as in production); a switch makes Vilt's settings endpoint slow."""

    def __init__(self, vilt: Any, learn: Any) -> None:
        self.vilt = vilt
        self.learn = learn
        self.slow_seconds = 0.0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        host = dict(scope["headers"]).get(b"host", b"").decode()
        if host.startswith("localhost"):
            await self.learn(scope, receive, send)
            return
        if self.slow_seconds and scope["path"] == "/lti/uef/settings":
            await asyncio.sleep(self.slow_seconds)
        await self.vilt(scope, receive, send)


@pytest.fixture
async def served(lms: Lms) -> AsyncIterator[tuple[Lms, Site, int, FakeLearn]]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    learn_url = f"http://localhost:{port}"
    learn = await configure_ultra(lms, learn_url)
    site = Site(lms.harness.client._transport.app, learn.app)  # type: ignore[attr-defined]
    server = uvicorn.Server(uvicorn.Config(site, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    yield lms, site, port, learn
    server.should_exit = True
    await task
    sock.close()


async def test_ultra_extension_registers_renders_and_answers_settings_saved(served: Any) -> None:
    from playwright.async_api import async_playwright

    lms, site, port, learn = served
    if not lms.harness.runtime.db.is_sqlite:
        pytest.skip("the page is browser-checked once, on SQLite; test_uef covers the save on both databases")
    path = await extension_page_path(lms, learn, [INSTRUCTOR], f"http://localhost:{port}")
    extension = f"http://127.0.0.1:{port}{path}"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = await browser.new_page()
            await page.goto(
                f"http://localhost:{port}/ultra?extension={quote(extension)}&token={learn.issued[-1]}"
            )

            async def save(message: dict[str, Any]) -> Any:
                return await page.evaluate("message => window.saveSettings(message)", message)

            await page.wait_for_function(
                "window.received.some(m => m.type === 'portal:render')", timeout=10_000
            )
            received = await page.evaluate("window.received")
            kinds = [m["type"] for m in received]
            assert kinds[:4] == [
                "authorization:authorize",
                "event:subscribe",
                "proctoring-service:register",
                "portal:render",
            ]
            assert received[0]["token"] == learn.issued[-1]
            assert received[2]["proctoringPlacementHandle"] == HANDLE
            assert received[3]["portalId"] == "portal-1"
            assert "Proctored by Vilt" in str(received[3]["contents"])

            saved = await save(
                {"type": SAVED, "correlationId": "c-1", "courseUuid": "uuid-course-9", "contentId": "_456_1",
                 "enabled": True, "proctoringPlacementHandle": HANDLE, "timeout": 5000}
            )  # fmt: skip
            assert saved["answer"] == {
                "type": "proctoring-service:settings-saved:response",
                "correlationId": "c-1",
                "success": True,
            }
            assert saved["ms"] < 5000
            stored = (await lms.harness.get("/api/v1/lti/proctoring/settings")).json()["items"]
            assert [(s["course_id"], s["content_id"], s["enabled"]) for s in stored] == [
                ("uuid-course-9", "_456_1", True)
            ]

            # the shape of the reference documents: an event with the data nested
            data = {
                "eventType": SAVED,
                "correlationId": "c-2",
                "courseId": "_1_1",
                "contentId": "_4_1",
                "enabled": False,
            }
            nested = await save({"data": data})
            assert (nested["answer"]["correlationId"], nested["answer"]["success"]) == ("c-2", True)

            failed = await save(
                {"type": SAVED, "correlationId": "c-3", "courseId": "_123_1", "enabled": True}
            )
            assert failed["answer"]["correlationId"] == "c-3"
            assert failed["answer"]["success"] is False
            assert "content id is missing" in failed["answer"]["error"]
            assert failed["ms"] < 5000

            site.slow_seconds = 6
            slow = await save(
                {
                    "type": SAVED,
                    "correlationId": "c-4",
                    "courseId": "_123_1",
                    "contentId": "_789_1",
                    "enabled": True,
                }
            )
            assert slow["answer"]["correlationId"] == "c-4"
            assert slow["answer"]["success"] is False
            assert "in time" in slow["answer"]["error"]
            assert slow["ms"] < 5000
            site.slow_seconds = 0
        finally:
            await browser.close()


async def test_ultra_extension_speaks_the_users_language(served: Any) -> None:
    """A user whose language is Russian (here: a new user, from the browser's Accept-Language) sees
    the panel and a failed save's message in Russian."""
    from playwright.async_api import async_playwright

    lms, _site, port, learn = served
    if not lms.harness.runtime.db.is_sqlite:
        pytest.skip("the page is browser-checked once, on SQLite")
    lms.browser.client.headers["Accept-Language"] = "ru-RU,ru;q=0.9"
    path = await extension_page_path(lms, learn, [INSTRUCTOR], f"http://localhost:{port}")
    extension = f"http://127.0.0.1:{port}{path}"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = await browser.new_page()
            await page.goto(
                f"http://localhost:{port}/ultra?extension={quote(extension)}&token={learn.issued[-1]}"
            )
            await page.wait_for_function(
                "window.received.some(m => m.type === 'portal:render')", timeout=10_000
            )
            rendered = next(m for m in await page.evaluate("window.received") if m["type"] == "portal:render")
            assert "Прокторинг от Vilt" in str(rendered["contents"])
            assert "Proctored" not in str(rendered["contents"])
            failed = await page.evaluate(
                "message => window.saveSettings(message)",
                {"type": SAVED, "correlationId": "c-1", "courseId": "_123_1", "enabled": True},
            )
            assert failed["answer"]["success"] is False
            assert failed["answer"]["error"] == (
                "Vilt не удалось сохранить настройки прокторинга: Не указан идентификатор содержимого теста."
            )
        finally:
            await browser.close()
