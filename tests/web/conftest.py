"""Pages over an in-process ASGI transport, on SQLite and PostgreSQL: sign-in, roles, CSRF."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from tests.conftest import BASE_URL, Harness, make_harness
from vilt.runtime import Runtime
from vilt.services import passwords, users
from vilt.services.context import SYSTEM
from vilt.services.users import UserInput
from vilt.web.site import install

PASSWORD = "a-good-password"


@dataclass
class Site:
    harness: Harness

    @property
    def runtime(self) -> Runtime:
        return self.harness.runtime

    def browser(self, **headers: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=self.harness.client._transport,
            base_url=BASE_URL,
            headers=headers,
            follow_redirects=False,
        )

    async def person(self, role: str, *, locale: str = "en", email: str | None = None) -> uuid.UUID:
        async with self.runtime.db.transaction() as tx:
            user = await users.create(
                self.runtime.ctx,
                tx,
                self.harness.account_id,
                UserInput(
                    email=email or f"{role}-{uuid.uuid4().hex[:6]}@site.test",
                    display_name=role.title(),
                    roles=[role],
                    locale=locale,
                ),
                SYSTEM,
            )
            await passwords.set_password(
                self.runtime.ctx, tx, self.harness.account_id, user.id, PASSWORD, SYSTEM
            )
            return user.id

    async def signed_in(self, role: str, **person: str) -> tuple[httpx.AsyncClient, str]:
        """A browser signed in as a new person with ``role``, and its CSRF token."""
        user_id = await self.person(role, **person)
        async with self.runtime.db.reading() as tx:
            user = await users.get(tx, self.harness.account_id, user_id)
        client = self.browser()
        form = await client.get("/signin")
        token = re.search(r'name="signin_token" value="([^"]+)"', form.text)
        assert token, form.text
        answer = await client.post(
            "/signin", data={"email": user.email, "password": PASSWORD, "signin_token": token.group(1)}
        )
        assert answer.status_code == 303, answer.text
        return client, await csrf_of(client)


async def csrf_of(client: httpx.AsyncClient) -> str:
    page = await client.get("/settings")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[Site]:
    harness = await make_harness(database_url)
    install(harness.client._transport.app)  # type: ignore[attr-defined]
    yield Site(harness)
    await harness.client.aclose()
    await harness.runtime.aclose()
