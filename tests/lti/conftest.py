"""An LMS (``tests/lti/platform.py``) wired to the deployment: Vilt reaches it in process,
the browser reaches both, and its clock follows the sandbox clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from tests.conftest import BASE_URL, Harness
from tests.lti.platform import ISSUER, Browser, LmsPlatform, follow_clock


@dataclass
class Lms:
    harness: Harness
    platform: LmsPlatform
    browser: Browser
    platform_id: str


@pytest.fixture
async def lms(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Lms]:
    follow_clock(monkeypatch, harness.clock)
    app = harness.client._transport.app  # type: ignore[attr-defined]
    platform = LmsPlatform(app, BASE_URL)
    harness.runtime.http.add_route(ISSUER, platform.app)
    registered = await harness.post("/api/v1/lti/platforms", platform.settings())
    assert registered.status_code == 201, registered.text
    browser = Browser(app, BASE_URL, platform)
    yield Lms(harness, platform, browser, registered.json()["id"])
    await browser.aclose()
