"""Launches per second through the real server, against a bare endpoint on the same stack."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg

from vilt.api.app import create_app
from vilt.clock import AdjustableClock
from vilt.runtime import build_runtime
from vilt.sandbox.bigbluebutton import BigBlueButtonSimulator
from vilt.services import accounts, enrollments, events, integrations, sessions, users
from vilt.services.context import SYSTEM
from vilt.services.events import EventInput
from vilt.services.integrations import IntegrationInput
from vilt.services.sessions import SessionInput
from vilt.services.users import UserInput
from vilt.settings import Settings
from vilt.storage import migrate
from vilt.storage.db import Database
from vilt.storage.secrets import SecretBox

RESULTS = Path(__file__).parent / "results"


@dataclass
class Seeded:
    api_key: str
    pairs: list[tuple[str, str]]


async def seed(settings: Settings, session_count: int, learners_per_session: int) -> Seeded:
    db = Database(settings.database_url)
    await migrate.upgrade(db)
    await db.dispose()
    runtime = build_runtime(settings, clock=AdjustableClock())
    create_app(runtime, run_worker=False)
    ctx = runtime.ctx
    simulator = runtime.simulators["bigbluebutton"]
    assert isinstance(simulator, BigBlueButtonSimulator)
    pairs: list[tuple[str, str]] = []
    async with runtime.db.transaction() as tx:
        account = await accounts.create_account(ctx, tx, "Bench")
        key = await accounts.issue_api_key(ctx, tx, account.id, "bench")
        integration = await integrations.create(
            ctx,
            tx,
            account.id,
            IntegrationInput(
                kind="bigbluebutton",
                name="BBB",
                settings={
                    "server_url": f"{settings.base_url}/sandbox/bigbluebutton/bigbluebutton/",
                    "secret": simulator.secret,
                },
            ),
            SYSTEM,
        )
        event = await events.create(ctx, tx, account.id, EventInput(title="Bench"), SYSTEM)
        people = [
            await users.create(
                ctx, tx, account.id, UserInput(email=f"l{i}@bench.test", display_name=f"L {i}"), SYSTEM
            )
            for i in range(learners_per_session)
        ]
        created = []
        for index in range(session_count):
            session = await sessions.create(
                ctx,
                tx,
                event,
                SessionInput(
                    title=f"S{index}",
                    starts_at=ctx.clock.now() + timedelta(minutes=10),
                    duration_minutes=60,
                    integration_id=integration.id,
                ),
                SYSTEM,
            )
            created.append(session)
            for person in people:
                await enrollments.enroll(ctx, tx, session, person.id, SYSTEM)
                pairs.append((str(session.id), str(person.id)))
    for session in created:
        await runtime.worker.run_now(session.id)
    await runtime.aclose()
    return Seeded(key.token, pairs)


def start_server(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        {
            "VILT_DATABASE_URL": settings.database_url,
            "VILT_SANDBOX": "true",
            "VILT_BASE_URL": settings.base_url,
            "VILT_SECRET_KEY": settings.secret_key.get_secret_value(),  # type: ignore[union-attr]
            "VILT_LOG_LEVEL": "warning",
        }
    )
    return subprocess.Popen(
        [sys.executable, "-m", "vilt.cli", "serve", "--port", str(port), "--no-migrate"],
        env=env,
    )


async def wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            if server.poll() is not None:
                raise RuntimeError(f"the server exited ({server.returncode}); is the port taken?")
            try:
                if (await client.get(f"{base}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("the server did not start")


class Connection:
    """A bare HTTP/1.1 keep-alive connection: the load generator must cost far less than the
    server it measures, which a full client library does not on two shared cores."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def request(self, raw: bytes) -> int:
        self.writer.write(raw)
        status_line = await self.reader.readline()
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(status_line.split()[1])

    def close(self) -> None:
        self.writer.close()


def raw_request(
    method: str, path: str, host: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def drive(port: int, requests: list[bytes], concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    pending = list(reversed(requests))

    async def worker() -> None:
        nonlocal errors
        connection = await Connection.open("127.0.0.1", port)
        try:
            while pending:
                raw = pending.pop()
                started = time.perf_counter()
                status = await connection.request(raw)
                latencies.append(time.perf_counter() - started)
                if status != 200:
                    errors += 1
        finally:
            connection.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    return {
        "requests": len(requests),
        "errors": errors,
        "per_second": len(requests) / elapsed,
        "p50_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[int(len(ordered) * 0.95) - 1] * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--learners", type=int, default=50)
    parser.add_argument("--port", type=int, default=8799)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="vilt-bench-"))
    database_url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    scratch = None
    if args.database_url:
        scratch = f"vilt_bench_{uuid.uuid4().hex[:8]}"  # never touch the given database itself
        with psycopg.connect(args.database_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{scratch}"')
        database_url = args.database_url.rsplit("/", 1)[0] + f"/{scratch}"
    base = f"http://127.0.0.1:{args.port}"
    settings = Settings(
        database_url=database_url,
        sandbox=True,
        base_url=base,
        secret_key=SecretBox.generate_key(),
        embedded_worker=False,
    )
    seeded = await seed(settings, args.sessions, args.learners)
    server = start_server(settings, args.port)
    try:
        await wait_ready(base, server)
        host = f"127.0.0.1:{args.port}"
        headers = {"Authorization": f"Bearer {seeded.api_key}", "Content-Type": "application/json"}
        rng = random.Random(7)

        def launches(count: int) -> list[bytes]:
            chosen = [rng.choice(seeded.pairs) for _ in range(count)]
            return [
                raw_request(
                    "POST",
                    f"/api/v1/sessions/{session_id}/launch",
                    host,
                    json.dumps({"user_id": user_id}).encode(),
                    headers,
                )
                for session_id, user_id in chosen
            ]

        bare = [raw_request("GET", "/healthz", host)] * args.requests
        await drive(args.port, launches(500), args.concurrency)  # warm up caches and connections
        await drive(args.port, bare[:500], args.concurrency)
        results = {
            "bare": await drive(args.port, bare, args.concurrency),
            "launch": await drive(args.port, launches(args.requests), args.concurrency),
        }
    finally:
        server.terminate()
        server.wait(timeout=10)
        if scratch and args.database_url:
            with psycopg.connect(args.database_url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    database = "postgresql" if database_url.startswith("postgres") else "sqlite"
    report = {
        "at": datetime.now(UTC).isoformat(),
        "database": database,
        "concurrency": args.concurrency,
        "cpus": os.cpu_count(),
        **results,
        "launch_vs_bare": results["launch"]["per_second"] / results["bare"]["per_second"],
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"launch-{database}-{uuid.uuid4().hex[:6]}.json").write_text(json.dumps(report, indent=2))
    print(f"database {database}, {args.concurrency} concurrent, {args.requests} requests each")
    print(f"{'':8} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name in ("bare", "launch"):
        row = results[name]
        print(
            f"{name:8} {row['per_second']:9.0f} {row['p50_ms']:8.1f} {row['p95_ms']:8.1f} "
            f"{row['p99_ms']:8.1f} {row['errors']:7.0f}"
        )
    print(f"launch throughput is {report['launch_vs_bare']:.0%} of the bare endpoint's")


if __name__ == "__main__":
    asyncio.run(main())
