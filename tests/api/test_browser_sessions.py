"""Browser sessions: a token in the cookie, only its hash stored, expiry, sign-out, CSRF."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.conftest import T0, Harness
from vilt.clock import AdjustableClock
from vilt.services import browser_sessions, users
from vilt.services.context import SYSTEM
from vilt.services.users import UserInput
from vilt.storage.models import BrowserSession


async def test_a_session_resolves_until_it_expires_or_is_closed(harness: Harness) -> None:
    ctx = harness.runtime.ctx
    ctx.wall_clock = real_time = AdjustableClock(T0, frozen=True)
    async with harness.runtime.db.transaction() as tx:
        user = await users.create(
            ctx, tx, harness.account_id, UserInput(email="b@x.test", display_name="B"), SYSTEM
        )
        token = await browser_sessions.open_session(ctx, tx, user, "password")
    async with harness.runtime.db.reading() as tx:
        stored = (await tx.scalars(select(BrowserSession))).one()
        assert token not in (stored.token_hash, stored.csrf_token)
        found = await browser_sessions.resolve(ctx, tx, token)
        assert found is not None
        assert found.user.id == user.id
        assert found.csrf_ok(stored.csrf_token)
        assert not found.csrf_ok("forged")
        assert not found.csrf_ok(None)
        assert await browser_sessions.resolve(ctx, tx, "not-a-token") is None
    await harness.advance(3 * 24 * 3600)  # the sandbox clock does not sign anybody out
    async with harness.runtime.db.reading() as tx:
        assert await browser_sessions.resolve(ctx, tx, token) is not None
    real_time.advance((browser_sessions.LIFETIME + timedelta(seconds=1)).total_seconds())
    async with harness.runtime.db.reading() as tx:
        assert await browser_sessions.resolve(ctx, tx, token) is None
    async with harness.runtime.db.transaction() as tx:
        await browser_sessions.close_session(tx, token)
        assert (await tx.scalars(select(BrowserSession))).all() == []
