"""Engines and transactions, the same on SQLite (embedded) and PostgreSQL (at scale)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Engine, Executable, Row, create_engine, event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # we issue BEGIN ourselves (below), so the driver must not
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the one writer; busy_timeout waits for the lock instead of failing
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_reader_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=2000")
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # A deferred transaction that reads and then writes can fail at once with SQLITE_BUSY when
    # another writer got in between; taking the write lock up front makes writers queue instead.
    readonly = connection.get_execution_options().get("vilt_readonly", False)
    connection.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def async_url(url: str) -> str:
    """Accept the plain forms people write and pick the async driver."""
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class Database:
    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = async_url(url)
        kwargs: dict[str, Any] = {"echo": echo}
        if not self.is_sqlite:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._hot: AsyncEngine | None = None
        self._sync: Engine | None = None
        if self.is_sqlite and ":memory:" not in self.url:
            self._sync = create_engine(self.url.replace("+aiosqlite", ""), poolclass=StaticPool)
            event.listen(self._sync, "connect", _sqlite_reader_pragmas)
        elif not self.is_sqlite:
            # one statement per checkout: autocommit, and no ping or rollback round trips around it
            self._hot = create_async_engine(
                self.url,
                isolation_level="AUTOCOMMIT",
                # a fixed set of warm connections: a burst waits for one rather than opening more
                pool_size=2 * pool_size,
                max_overflow=0,
                pool_reset_on_return=None,
            )
        self._readers = async_sessionmaker(
            self.engine.execution_options(vilt_readonly=True), expire_on_commit=False, autoflush=False
        )

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def dialect(self) -> str:
        return "sqlite" if self.is_sqlite else "postgresql"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed when the block ends, rolled back if it raises."""
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only; on SQLite it does not take the write lock."""
        async with self._readers() as session:
            yield session

    async def hot_first(self, statement: Executable, params: dict[str, Any]) -> Row[Any] | None:
        """The first row of one read on the hot path: no ORM session, no transaction.

        On SQLite the read runs synchronously: a WAL reader never waits for the writer, the
        query takes tens of microseconds, and aiosqlite's hop to its thread and back would cost
        ten times that."""
        if self._sync is not None:
            with self._sync.connect() as connection:
                return connection.execute(statement, params).first()
        engine = self._hot or self.engine
        async with engine.connect() as connection:
            return (await connection.execute(statement, params)).first()

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._hot is not None:
            await self._hot.dispose()
        if self._sync is not None:
            self._sync.dispose()
