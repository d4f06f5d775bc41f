"""A large Zoom participants report, end to end: read across its pages from the simulator (page
size 300, one row per join segment), matched and imported, the roster computed. Prints the time
and memory of each phase and writes JSON to bench/results/. Run it as a module from the
repository root (it shares the seeding helpers of the tests):

    .venv/bin/python -m bench.zoom_report_bench                       # SQLite file, 10,000 people
    .venv/bin/python -m bench.zoom_report_bench --participants 20000
    .venv/bin/python -m bench.zoom_report_bench --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import resource
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from tests.jobs.bulk import seed_enrolled_learners
from tests.jobs.test_large_report import report_rows

from vilt.api.app import create_app
from vilt.clock import AdjustableClock
from vilt.core.attendance import AttendanceSource
from vilt.core.sessions import EventKind
from vilt.providers.base import MeetingSpec, Person
from vilt.runtime import build_runtime
from vilt.sandbox.zoom import ZoomSimulator
from vilt.services import accounts, attendance, events, integrations, roster, sessions, users
from vilt.services.context import SYSTEM
from vilt.services.events import EventInput
from vilt.services.integrations import IntegrationInput
from vilt.services.sessions import SessionInput
from vilt.services.sync import meeting_ref
from vilt.services.users import UserInput
from vilt.settings import Settings
from vilt.storage import migrate
from vilt.storage.secrets import SecretBox

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STARTS = T0 + timedelta(hours=1)
RESULTS = Path(__file__).parent / "results"


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


class Phase:
    """Wall time of a phase, and how much the process's peak memory (RSS) grew during it."""

    def __init__(self, name: str, table: list[dict[str, Any]]) -> None:
        self.name = name
        self.table = table

    def __enter__(self) -> Phase:
        if tracemalloc.is_tracing():
            tracemalloc.reset_peak()
            self.traced = tracemalloc.get_traced_memory()[0]
        self.started = time.perf_counter()
        self.rss = _max_rss_mib()
        return self

    def __exit__(self, *exc: object) -> None:
        seconds = time.perf_counter() - self.started
        peak = _max_rss_mib()
        line = {
            "phase": self.name,
            "seconds": round(seconds, 3),
            "peak_rss_mib": round(peak, 1),
            "rss_growth_mib": round(peak - self.rss, 1),
        }
        if tracemalloc.is_tracing():
            # the most Python memory the phase held at once (times are slower while tracing)
            line["traced_peak_mib"] = round((tracemalloc.get_traced_memory()[1] - self.traced) / 2**20, 1)
        self.table.append(line)


def _postgres_database(url: str) -> tuple[str, str]:
    name = f"vilt_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + f"/{name}", name


async def run(participants: int, database_url: str) -> list[dict[str, Any]]:
    clock = AdjustableClock(T0, frozen=True)
    settings = Settings(
        database_url=database_url,
        sandbox=True,
        base_url="http://vilt.bench",
        secret_key=SecretBox.generate_key(),
        embedded_worker=False,
    )
    runtime = build_runtime(settings, clock=clock)
    create_app(runtime, run_worker=False)  # the simulators answer in process
    await migrate.upgrade(runtime.db)
    sim = runtime.simulators["zoom"]
    assert isinstance(sim, ZoomSimulator)
    sim.state.add_user("irene@example.com", "Irene")
    ctx = runtime.ctx
    async with runtime.db.transaction() as tx:
        account = await accounts.create_account(ctx, tx, "Bench")
        instructor = await users.create(
            ctx,
            tx,
            account.id,
            UserInput(email="irene@example.com", display_name="Irene", roles=["instructor"]),
            SYSTEM,
        )
        integration = await integrations.create(
            ctx,
            tx,
            account.id,
            IntegrationInput(
                kind="zoom", name="Zoom", settings={**sim.integration_settings(), "plan": "business"}
            ),
            SYSTEM,
        )
        event = await events.create(
            ctx, tx, account.id, EventInput(title="All hands", kind="meeting"), SYSTEM
        )
        session = await sessions.create(
            ctx,
            tx,
            event,
            SessionInput(
                starts_at=STARTS,
                duration_minutes=60,
                integration_id=integration.id,
                instructor_ids=[instructor.id],
            ),
            SYSTEM,
        )
    await runtime.worker.run_now(session.id)
    async with runtime.db.reading() as tx:
        pushed = await sessions.get(tx, account.id, session.id)
    assert pushed.provider_ref is not None
    emails = await seed_enrolled_learners(
        runtime.db, account.id, session.id, participants, T0, registered=True
    )
    rows = report_rows(emails)
    sim.record_past_instance(pushed.provider_ref, STARTS, STARTS + timedelta(hours=1), rows)
    spec = MeetingSpec(
        session_key=session.id.hex,
        title="All hands",
        kind=EventKind.MEETING,
        starts_at=STARTS,
        duration=timedelta(hours=1),
        time_zone="UTC",
        host=Person("i", "Irene", "irene@example.com"),
    )
    ref = meeting_ref(pushed)
    assert ref is not None

    table: list[dict[str, Any]] = []
    with Phase(f"fetch: {len(rows)} rows, {-(-len(rows) // 300)} pages", table):
        fetched = await ctx.providers.call(integration, lambda a: a.fetch_attendance(ref, spec))
    assert fetched.ready
    assert len(fetched.reports) == participants
    with Phase(f"match and store {participants} records", table):
        async with runtime.db.transaction() as tx:
            row = await sessions.get(tx, account.id, session.id, for_update=True)
            await attendance.import_reports(
                ctx,
                tx,
                row,
                list(fetched.reports),
                AttendanceSource.POLL,
                raw=dict(fetched.raw),
                recompute_roster=False,
            )
    with Phase(f"roster for {participants} enrollments", table):
        async with runtime.db.transaction() as tx:
            row = await sessions.get(tx, account.id, session.id, for_update=True)
            version = await roster.recompute(ctx, tx, row, actor=SYSTEM, overwrite=False)
    assert version == 1
    table.append(
        {
            "phase": "total",
            "seconds": round(sum(r["seconds"] for r in table), 3),
            "peak_rss_mib": max(r["peak_rss_mib"] for r in table),
            "rss_growth_mib": round(sum(r["rss_growth_mib"] for r in table), 1),
        }
    )
    await runtime.aclose()
    return table


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL (default: a SQLite file)")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="Also report each phase's peak Python memory (slower)."
    )
    args = parser.parse_args()
    dropped = None
    with tempfile.TemporaryDirectory() as folder:
        if args.database_url.startswith("postgresql"):
            url, dropped = _postgres_database(args.database_url)
            label = "postgresql"
        else:
            url, label = f"sqlite+aiosqlite:///{folder}/bench.db", "sqlite"
        if args.tracemalloc:
            tracemalloc.start()
        try:
            table = asyncio.run(run(args.participants, url))
        finally:
            if dropped:
                with psycopg.connect(args.database_url, autocommit=True) as connection:
                    connection.execute(f'DROP DATABASE IF EXISTS "{dropped}" WITH (FORCE)')
    print(f"\nZoom participants report, {args.participants} people, {label}")
    print(f"{'phase':<45} {'seconds':>9} {'peak RSS MiB':>13} {'growth MiB':>11}")
    for line in table:
        print(
            f"{line['phase']:<45} {line['seconds']:>9.3f} "
            f"{line['peak_rss_mib']:>13.1f} {line['rss_growth_mib']:>11.1f}"
            + (f" {line['traced_peak_mib']:>8.1f} traced" if "traced_peak_mib" in line else "")
        )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"zoom_report_{label}_{args.participants}.json"
    out.write_text(
        json.dumps(
            {
                "participants": args.participants,
                "database": label,
                "python": platform.python_version(),
                "phases": table,
            },
            indent=2,
        )
    )
    print(f"written to {out}")


if __name__ == "__main__":
    main()
