"""Shared fixtures: real SQLite files and a real PostgreSQL database, the app over an in-process
ASGI transport, the simulators on the same clock.

PostgreSQL: ``VILT_TEST_POSTGRES_URL`` (default: the local ``test`` database). With ``CI=true``
it is mandatory; elsewhere its tests are skipped, with the reason, when it cannot be reached.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import text

from vilt.api.app import create_app
from vilt.clock import AdjustableClock
from vilt.runtime import Runtime, build_runtime
from vilt.services import accounts
from vilt.settings import Settings
from vilt.storage import migrate
from vilt.storage.db import Database
from vilt.storage.models import Base
from vilt.storage.secrets import SecretBox

POSTGRES_URL = os.environ.get("VILT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
BASE_URL = "http://vilt.test"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def iso(instant: datetime) -> str:
    """An instant as the API writes it."""
    return instant.isoformat().replace("+00:00", "Z")


def _postgres_problem() -> str | None:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL at {POSTGRES_URL} is not reachable ({type(exc).__name__})"
    return None


_PG_PROBLEM = _postgres_problem()
if _PG_PROBLEM and IN_CI:
    raise RuntimeError(f"CI=true needs PostgreSQL: {_PG_PROBLEM}")


def pytest_report_header(config: pytest.Config) -> list[str]:
    if _PG_PROBLEM:
        return [f"PostgreSQL tests SKIPPED: {_PG_PROBLEM}"]
    return [f"PostgreSQL tests run against {POSTGRES_URL}"]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Said again at the end, where it is seen (``-q`` and parallel runs hide the header)."""
    if _PG_PROBLEM:
        terminalreporter.write_line(f"PostgreSQL tests SKIPPED: {_PG_PROBLEM}", yellow=True, bold=True)
    elif not hasattr(terminalreporter.config, "workerinput"):
        terminalreporter.write_line(f"PostgreSQL tests ran against {POSTGRES_URL}")


def _admin_url(database: str) -> str:
    return POSTGRES_URL.rsplit("/", 1)[0] + f"/{database}"


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test run."""
    if _PG_PROBLEM:
        pytest.skip(_PG_PROBLEM)
    name = f"vilt_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = _admin_url(name)
    asyncio.run(_migrate(url))
    yield url
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


async def _migrate(url: str) -> None:
    db = Database(url)
    await migrate.upgrade(db)
    await db.dispose()


async def _truncate(url: str) -> None:
    db = Database(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with db.engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test that takes this runs twice: on a real SQLite file and on real PostgreSQL."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "vilt.db"
        shutil.copy(template, path)
        yield f"sqlite+aiosqlite:///{path}"
    else:
        url: str = request.getfixturevalue("postgres_database")
        asyncio.run(_truncate(url))
        yield url


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "vilt.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@dataclass
class Harness:
    """The whole deployment in one process: app, worker, simulators, one adjustable clock."""

    runtime: Runtime
    client: httpx.AsyncClient
    clock: AdjustableClock
    api_key: str
    account_id: uuid.UUID

    @property
    def bbb(self) -> Any:
        return self.runtime.simulators["bigbluebutton"]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(path, headers=self.headers, **kwargs)

    async def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return await self.client.post(path, json=json, headers=self.headers, **kwargs)

    async def patch(self, path: str, json: Any = None) -> httpx.Response:
        return await self.client.patch(path, json=json, headers=self.headers)

    async def delete(self, path: str) -> httpx.Response:
        return await self.client.delete(path, headers=self.headers)

    async def advance(self, seconds: float) -> None:
        response = await self.post("/api/v1/sandbox/clock", {"advance_seconds": seconds})
        assert response.status_code == 200, response.text

    async def tick(self) -> dict[str, Any]:
        response = await self.post("/api/v1/sandbox/tick")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def bbb_integration(self, **overrides: Any) -> dict[str, Any]:
        body = {
            "kind": "bigbluebutton",
            "name": "BBB",
            "settings": {
                "server_url": f"{BASE_URL}/sandbox/bigbluebutton/bigbluebutton/",
                "secret": self.bbb.secret,
            },
        }
        body.update(overrides)
        response = await self.post("/api/v1/integrations", body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def user(self, email: str, name: str | None = None, **extra: Any) -> dict[str, Any]:
        response = await self.post(
            "/api/v1/users", {"email": email, "display_name": name or email.split("@")[0], **extra}
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "sandbox": True,
        "base_url": BASE_URL,
        "secret_key": SecretBox.generate_key(),
        "embedded_worker": False,
    }
    values.update(overrides)
    return Settings(**values)


async def make_harness(database_url: str, *, sandbox: bool = True, start: datetime = T0) -> Harness:
    clock = AdjustableClock(start, frozen=True)
    runtime = build_runtime(make_settings(database_url, sandbox=sandbox), clock=clock)
    app = create_app(runtime, run_worker=False)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)
    async with runtime.db.transaction() as tx:
        account = await accounts.create_account(runtime.ctx, tx, f"Test {uuid.uuid4().hex[:6]}")
        issued = await accounts.issue_api_key(runtime.ctx, tx, account.id, "tests")
    return Harness(runtime, client, clock, issued.token, account.id)


@pytest.fixture
async def harness(database_url: str) -> AsyncIterator[Harness]:
    built = await make_harness(database_url)
    yield built
    await built.client.aclose()
    await built.runtime.aclose()
