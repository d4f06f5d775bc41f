"""A 10,000-participant attendance import matched against 1,000,000 users and written as a
roster, against a bare SQL join of the same data in the same run.

The parent process makes a fresh database (a temporary SQLite file, or a new PostgreSQL
database that it drops at the end), seeds the users in bulk (executemany on SQLite, COPY on
PostgreSQL) and one offline session per repetition with 10,000 enrolled learners. Each
repetition runs in a fresh child process, so its peak memory is the import's own:

- ``bare``: the participants inserted into a scratch table and one INSERT ... SELECT joining them
  to ``user_emails`` and ``enrollments`` (by email and by bound identity) into a scratch roster;
- ``import``: ``services.attendance.import_reports`` in one transaction, committed: fingerprint,
  matching (identity, email with aliases), name suggestions for the unmatched, the raw payload,
  10,000 records, and the roster version with 10,000 lines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import func, insert, select, text

from vilt.clock import SystemClock
from vilt.core.attendance import AttendanceSource, Engagement, Interval, ParticipantReport
from vilt.core.identity import name_key
from vilt.providers.http import HttpEnvironment
from vilt.services import accounts, attendance, events, sessions
from vilt.services.context import SYSTEM, ServiceContext
from vilt.services.events import EventInput
from vilt.services.launch_log import LaunchLog
from vilt.services.provider_hub import ProviderHub
from vilt.services.sessions import SessionInput
from vilt.storage import migrate
from vilt.storage.db import Database
from vilt.storage.models import AttendanceRecord, Enrollment, RosterEntry, User
from vilt.storage.secrets import SecretBox

RESULTS = Path(__file__).parent / "results"
STARTS = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
FIRST_NAMES = ["Anna", "Boris", "Chen", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ivan", "Julia"]
LAST_NAMES = ["Petrov", "Smith", "Ivanova", "Garcia", "Kim", "Novak", "Rossi", "Sato", "Weber", "Ali"]


def display_name(n: int) -> str:
    return f"{FIRST_NAMES[n % 10]} {LAST_NAMES[(n // 10) % 10]} {n}"


def email(n: int) -> str:
    return f"user{n}@bench.test"


def context() -> ServiceContext:
    clock = SystemClock()
    secrets = SecretBox.from_setting(SecretBox.generate_key())
    http = HttpEnvironment()
    return ServiceContext(
        clock=clock,
        secrets=secrets,
        providers=ProviderHub(http, clock, "http://bench.test", secrets),
        base_url="http://bench.test",
        launches=LaunchLog(),
    )


# --- seeding -------------------------------------------------------------------------------------


def seed_users_sqlite(path: str, account_id: uuid.UUID, count: int) -> None:
    stamp = "2026-01-01 00:00:00.000001"
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA cache_size=-1000000")  # 1 GB: the email index stays in memory
        batch = 50_000
        for start in range(0, count, batch):
            users = []
            addresses = []
            for n in range(start, min(start + batch, count)):
                user_id = uuid.UUID(int=n + 1).hex
                name = display_name(n)
                users.append(
                    (user_id, account_id.hex, email(n), email(n), name, name_key(name), stamp, stamp)
                )
                addresses.append((uuid.uuid4().hex, account_id.hex, user_id, email(n)))
            connection.executemany(
                "INSERT INTO users (id, account_id, email, email_normalized, display_name, name_key, "
                "time_zone, locale, roles, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, 'UTC', 'en', '[\"learner\"]', ?, ?)",
                users,
            )
            connection.executemany(
                "INSERT INTO user_emails (id, account_id, user_id, email_normalized, is_primary) "
                "VALUES (?, ?, ?, ?, 1)",
                addresses,
            )
        connection.commit()
        connection.execute("ANALYZE")
    finally:
        connection.close()


def seed_users_postgres(url: str, account_id: uuid.UUID, count: int) -> None:
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    with psycopg.connect(url) as connection:
        with connection.cursor() as cursor:
            with cursor.copy(
                "COPY users (id, account_id, email, email_normalized, display_name, name_key, time_zone, "
                "locale, roles, created_at, updated_at) FROM STDIN"
            ) as copy:
                for n in range(count):
                    name = display_name(n)
                    row = (uuid.UUID(int=n + 1), account_id, email(n), email(n), name, name_key(name))
                    copy.write_row((*row, "UTC", "en", '["learner"]', stamp, stamp))
            with cursor.copy(
                "COPY user_emails (id, account_id, user_id, email_normalized, is_primary) FROM STDIN"
            ) as copy:
                for n in range(count):
                    copy.write_row((uuid.uuid4(), account_id, uuid.UUID(int=n + 1), email(n), True))
        connection.commit()
        connection.execute("ANALYZE users")
        connection.execute("ANALYZE user_emails")
        connection.commit()


async def seed(db: Database, plain_url: str, users: int, participants: int, repeat: int) -> dict[str, Any]:
    ctx = context()
    async with db.transaction() as tx:
        account = await accounts.create_account(ctx, tx, "Bench")
        rule = {"kind": "min_percent", "value": 50}
        event = await events.create(
            ctx, tx, account.id, EventInput(title="Bench", completion_rule=rule), SYSTEM
        )
    began = time.perf_counter()
    if db.is_sqlite:
        seed_users_sqlite(plain_url, account.id, users)
    else:
        seed_users_postgres(plain_url, account.id, users)
    seeded_users = time.perf_counter() - began
    picker = random.Random(7)
    session_ids = []
    for index in range(repeat):
        async with db.transaction() as tx:
            session = await sessions.create(
                ctx,
                tx,
                event,
                SessionInput(
                    starts_at=STARTS + timedelta(days=index), duration_minutes=60, title=f"Run {index}"
                ),
                SYSTEM,
            )
            chosen = picker.sample(range(users), participants)
            now = ctx.clock.now()
            await tx.execute(
                insert(Enrollment),
                [
                    {
                        "id": uuid.uuid4(),
                        "account_id": account.id,
                        "session_id": session.id,
                        "user_id": uuid.UUID(int=n + 1),
                        "status": "registered",
                        "position": position,
                        "identity": f"v{uuid.uuid4().hex[:16]}",
                        "walk_in": False,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for position, n in enumerate(chosen, start=1)
                ],
            )
            session_ids.append(str(session.id))
    if not db.is_sqlite:
        async with db.transaction() as tx:
            await tx.execute(text("ANALYZE enrollments"))
    return {"account_id": str(account.id), "sessions": session_ids, "seed_users_seconds": seeded_users}


# --- one measured repetition (child process) ------------------------------------------------------


def reports_for(enrolled: list[tuple[uuid.UUID, str, str]], seed: int) -> list[ParticipantReport]:
    """90% matched by email (some with odd case), 5% by the identity bound at join, 5% nobody
    (guests; half of them named like existing users, so suggestions are looked up); 1 to 3
    overlapping connections each."""
    picker = random.Random(seed)
    reports = []
    for index, (_user, address, identity) in enumerate(enrolled):
        spans = []
        start = picker.randint(-10, 20)
        for _ in range(picker.randint(1, 3)):
            end = start + picker.randint(5, 40)
            spans.append(Interval(STARTS + timedelta(minutes=start), STARTS + timedelta(minutes=end)))
            start = end - picker.randint(0, 3)  # reconnects overlap a little
        kind = index % 20
        if kind == 0:
            reports.append(
                ParticipantReport(f"p{index}", f"Guest {index}", None, None, "attendee", tuple(spans))
            )
        elif kind == 1:
            number = picker.randint(0, 999_999)
            name = display_name(number) if index % 40 == 1 else f"Phone {index}"
            reports.append(ParticipantReport(f"p{index}", name, None, None, "attendee", tuple(spans)))
        elif kind == 2:
            reports.append(ParticipantReport(f"p{index}", "", None, identity, "attendee", tuple(spans)))
        else:
            shown = address.upper() if index % 7 == 0 else address
            reports.append(
                ParticipantReport(
                    f"p{index}", f"L {index}", shown, None, "attendee", tuple(spans), Engagement(1, 2)
                )
            )
    return reports


BARE_SETUP = [
    "CREATE TABLE IF NOT EXISTS bench_participants (participant_key VARCHAR(255), email VARCHAR(320), "
    "identity VARCHAR(64))",
    "CREATE TABLE IF NOT EXISTS bench_roster (participant_key VARCHAR(255), user_id VARCHAR(36), "
    "enrollment_id VARCHAR(36))",
    "DELETE FROM bench_participants",
    "DELETE FROM bench_roster",
]
BARE_JOIN = """
INSERT INTO bench_roster (participant_key, user_id, enrollment_id)
SELECT p.participant_key, CAST(COALESCE(by_identity.user_id, e.user_id) AS VARCHAR(36)),
       CAST(COALESCE(by_identity.id, by_user.id) AS VARCHAR(36))
FROM bench_participants p
LEFT JOIN user_emails e ON e.account_id = :account AND e.email_normalized = p.email
LEFT JOIN enrollments by_identity ON by_identity.session_id = :session AND by_identity.identity = p.identity
LEFT JOIN enrollments by_user ON by_user.session_id = :session AND by_user.user_id = e.user_id
"""


def settle(db: Database) -> None:
    """On SQLite, fold the write-ahead log into the database first, so no phase pays for
    checkpointing another phase's (or the seeding's) writes."""
    if db.is_sqlite:
        path = db.url.split("///", 1)[1]
        connection = sqlite3.connect(path)
        try:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            connection.close()


def rss_mb() -> float:
    """Peak resident memory of this process. VmHWM belongs to this program's own address space;
    ru_maxrss would carry over the parent's peak across fork and exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def measure(url: str, account: str, session_id: str, seed: int) -> dict[str, Any]:
    db = Database(url)
    ctx = context()
    account_id, sid = uuid.UUID(account), uuid.UUID(session_id)
    async with db.reading() as tx:
        rows = await tx.execute(
            select(Enrollment.user_id, User.email_normalized, Enrollment.identity)
            .join(User, User.id == Enrollment.user_id)
            .where(Enrollment.session_id == sid)
            .order_by(Enrollment.position)
        )
        enrolled = [(u, e, i) for u, e, i in rows]
    reports = reports_for(enrolled, seed)

    def bind(value: uuid.UUID) -> str | uuid.UUID:
        return value.hex if db.is_sqlite else value

    async with db.transaction() as tx:
        for statement in BARE_SETUP:
            await tx.execute(text(statement))
    rss_before = rss_mb()

    settle(db)
    began, cpu = time.perf_counter(), time.process_time()
    async with db.transaction() as tx:
        await tx.execute(
            text("INSERT INTO bench_participants VALUES (:k, :e, :i)"),
            [
                {"k": r.participant_key, "e": (r.email or "").lower() or None, "i": r.bound_identity}
                for r in reports
            ],
        )
        await tx.execute(text(BARE_JOIN), {"account": bind(account_id), "session": bind(sid)})
    bare, bare_cpu = time.perf_counter() - began, time.process_time() - cpu

    settle(db)
    began, cpu = time.perf_counter(), time.process_time()
    async with db.transaction() as tx:
        session = await sessions.get(tx, account_id, sid, for_update=True)
        result = await attendance.import_reports(
            ctx, tx, session, reports, AttendanceSource.WEBHOOK, raw={"bench": True}
        )
    imported, imported_cpu = time.perf_counter() - began, time.process_time() - cpu
    rss_peak = rss_mb()

    async with db.reading() as tx:
        records = await tx.scalar(
            select(func.count()).select_from(AttendanceRecord).where(AttendanceRecord.session_id == sid)
        )
        lines = await tx.scalar(
            select(func.count()).select_from(RosterEntry).where(RosterEntry.session_id == sid)
        )
        joined = await tx.scalar(text("SELECT COUNT(*) FROM bench_roster WHERE enrollment_id IS NOT NULL"))
    await db.dispose()
    return {
        "bare_seconds": bare,
        "import_seconds": imported,
        "bare_cpu_seconds": bare_cpu,
        "import_cpu_seconds": imported_cpu,
        "load_average": os.getloadavg()[0],
        "rss_before_mb": rss_before,
        "rss_peak_mb": rss_peak,
        "records": records,
        "roster_lines": lines,
        "matched": result.matched,
        "unmatched": result.unmatched,
        "bare_matched": joined,
        "roster_version": result.roster_version,
    }


# --- the run ---------------------------------------------------------------------------------------


def fresh_postgres(server_url: str) -> tuple[str, str]:
    name = f"vilt_roster_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return name, server_url.rsplit("/", 1)[0] + f"/{name}"


def drop_postgres(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def run(args: argparse.Namespace) -> dict[str, Any]:
    scratch: str | None = None
    folder: str | None = None
    if args.database_url.startswith("postgres"):
        scratch, plain = fresh_postgres(args.database_url)
        url = plain
    else:
        folder = tempfile.mkdtemp(prefix="vilt-roster-bench-")
        plain = f"{folder}/bench.db"
        url = f"sqlite:///{plain}"
    try:
        db = Database(url)
        await migrate.upgrade(db)
        began = time.perf_counter()
        seeded = await seed(db, plain, args.users, args.participants, args.repeat)
        seed_seconds = time.perf_counter() - began
        await db.dispose()
        runs = []
        for index, session_id in enumerate(seeded["sessions"]):
            command = [sys.executable, __file__, "--measure", session_id, "--account", seeded["account_id"]]
            command += ["--database-url", url, "--seed", str(index)]
            child = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
            output, _ = await child.communicate()
            if child.returncode != 0:
                raise RuntimeError(f"the measured run {index} failed")
            runs.append(json.loads(output.decode().strip().splitlines()[-1]))
        return {
            "seed_seconds": seed_seconds,
            "seed_users_seconds": seeded["seed_users_seconds"],
            "runs": runs,
        }
    finally:
        if scratch is not None:
            drop_postgres(args.database_url, scratch)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def report(dialect: str, args: argparse.Namespace, outcome: dict[str, Any]) -> dict[str, Any]:
    runs = outcome["runs"]
    bare = statistics.median(r["bare_seconds"] for r in runs)
    imported = statistics.median(r["import_seconds"] for r in runs)
    summary = {
        "dialect": dialect,
        "users": args.users,
        "participants": args.participants,
        "repeat": len(runs),
        "seed_seconds": round(outcome["seed_seconds"], 1),
        "bare_join_seconds_median": round(bare, 3),
        "import_seconds_median": round(imported, 3),
        "import_seconds_all": [round(r["import_seconds"], 3) for r in runs],
        "ratio_import_to_bare": round(imported / bare, 2),
        "bare_cpu_seconds_median": round(statistics.median(r["bare_cpu_seconds"] for r in runs), 3),
        "import_cpu_seconds_median": round(statistics.median(r["import_cpu_seconds"] for r in runs), 3),
        "load_average": [round(r["load_average"], 1) for r in runs],
        "rss_before_import_mb": round(max(r["rss_before_mb"] for r in runs), 1),
        "rss_peak_mb": round(max(r["rss_peak_mb"] for r in runs), 1),
        "records": runs[0]["records"],
        "roster_lines": runs[0]["roster_lines"],
        "matched": runs[0]["matched"],
        "unmatched": runs[0]["unmatched"],
        "bare_matched": runs[0]["bare_matched"],
    }
    print(f"\n{dialect}: {args.participants:,} participants against {args.users:,} users, {len(runs)} runs")
    print(f"  seeding                  {summary['seed_seconds']:>8} s")
    print(f"  bare SQL join (median)   {summary['bare_join_seconds_median']:>8} s")
    print(f"  import (median)          {summary['import_seconds_median']:>8} s")
    print(f"  import, every run        {summary['import_seconds_all']}")
    print(f"  import / bare            {summary['ratio_import_to_bare']:>8} x")
    print(f"  CPU of this process      {summary['import_cpu_seconds_median']:>8} s import")
    print(f"                           {summary['bare_cpu_seconds_median']:>8} s bare (SQLite: in-process)")
    print(f"  load average meanwhile   {summary['load_average']}")
    print(f"  peak RSS of the importer {summary['rss_peak_mb']:>8} MB")
    print(f"  RSS before the import    {summary['rss_before_import_mb']:>8} MB")
    print(f"  records {summary['records']:,}, roster lines {summary['roster_lines']:,}")
    print(f"  matched {summary['matched']:,}, unmatched {summary['unmatched']:,}")
    print(f"  the bare join matched    {summary['bare_matched']:,}")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default="sqlite", help="'sqlite' (a temporary file) or a PostgreSQL URL"
    )
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--account", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(asyncio.run(measure(args.database_url, args.account, args.measure, args.seed))))
        return
    dialect = "postgresql" if args.database_url.startswith("postgres") else "sqlite"
    summary = report(dialect, args, asyncio.run(run(args)))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"roster_{dialect}.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
