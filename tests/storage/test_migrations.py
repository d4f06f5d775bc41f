"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL, and
secrets at rest can only be read with the key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from vilt.storage import migrate
from vilt.storage.db import Database
from vilt.storage.models import Base
from vilt.storage.secrets import SecretBox, SecretKeyError
from vilt.storage.types import UTCDateTime


async def test_migrations_match_the_models(database_url: str) -> None:
    db = Database(database_url)
    try:
        assert await migrate.current_revision(db) == migrate.head_revision()
        async with db.engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
        assert differences == []
    finally:
        await db.dispose()


async def test_times_come_back_aware_and_in_utc(database_url: str) -> None:
    db = Database(database_url)
    try:
        column = UTCDateTime()
        moscow = timezone(timedelta(hours=3))
        stored = column.process_bind_param(datetime(2026, 5, 4, 12, 0, tzinfo=moscow), db.engine.dialect)
        assert stored is not None
        async with db.engine.connect() as connection:
            value = (await connection.execute(text("SELECT 1"))).scalar()
        assert value == 1
        loaded = column.process_result_value(stored, db.engine.dialect)
        assert loaded == datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
        assert loaded.tzinfo is UTC
        with pytest.raises(ValueError, match="Naive"):
            column.process_bind_param(datetime(2026, 5, 4, 12, 0), db.engine.dialect)
    finally:
        await db.dispose()


def test_secret_box_rotates_keys_and_never_shows_the_key_in_errors() -> None:
    old = SecretBox.generate_key()
    new = SecretBox.generate_key()
    token = SecretBox.from_setting(old).encrypt({"secret": "s3cr3t"})
    assert "s3cr3t" not in token
    rotated_box = SecretBox.from_setting(f"{new},{old}")
    assert rotated_box.decrypt(token) == {"secret": "s3cr3t"}
    rotated = rotated_box.rotate(token)
    assert SecretBox.from_setting(new).decrypt(rotated) == {"secret": "s3cr3t"}
    with pytest.raises(SecretKeyError) as wrong:
        SecretBox.from_setting(SecretBox.generate_key()).decrypt(token)
    assert old not in str(wrong.value)
    with pytest.raises(SecretKeyError) as malformed:
        SecretBox.from_setting("not-a-key")
    assert "not-a-key" not in str(malformed.value)
