"""LTI: full launches per second (login → platform authorization → id_token check → landing
page) and scores delivered per second by the worker, in process, on SQLite or PostgreSQL.

The platform is the test LMS built on lti1p3platform (tests/lti/platform.py). It re-parses its
RSA key on every signature (~2 x 40 ms per launch), so the full launch time is mostly the LMS;
``vilt_part`` is the time spent in Vilt's three requests (login, launch, landing page)."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import update

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.lti.platform import ISSUER, LEARNER, Browser, LaunchSpec, LmsPlatform, parse_form

from vilt.api.app import create_app
from vilt.clock import AdjustableClock
from vilt.core.lti import score_for
from vilt.runtime import build_runtime
from vilt.services import accounts, deliveries
from vilt.settings import Settings
from vilt.storage import migrate
from vilt.storage.db import Database
from vilt.storage.lti_models import LtiResourceLink
from vilt.storage.secrets import SecretBox

BASE = "http://vilt.bench"
RESULTS = Path(__file__).parent / "results"


async def main(database_url: str, launches: int, concurrency: int, scores: int) -> dict[str, Any]:
    db = Database(database_url)
    await migrate.upgrade(db)
    await db.dispose()
    settings = Settings(
        database_url=database_url,
        sandbox=True,
        base_url=BASE,
        secret_key=SecretBox.generate_key(),
        embedded_worker=False,
    )
    runtime = build_runtime(settings, clock=AdjustableClock())
    app = create_app(runtime, run_worker=False)
    platform = LmsPlatform(app, BASE, client_id=f"bench-{uuid.uuid4().hex[:6]}")
    runtime.http.add_route(ISSUER, platform.app)
    async with runtime.db.transaction() as tx:
        account = await accounts.create_account(runtime.ctx, tx, f"LTI bench {uuid.uuid4().hex[:6]}")
        key = await accounts.issue_api_key(runtime.ctx, tx, account.id, "bench")
    api = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=BASE,
        headers={"Authorization": f"Bearer {key.token}"},
    )
    assert (await api.post("/api/v1/lti/platforms", json=platform.settings())).status_code == 201
    event = (await api.post("/api/v1/events", json={"title": "Bench event"})).json()
    custom = {"https://purl.imsglobal.org/spec/lti/claim/custom": {"vilt_event_id": event["id"]}}

    browsers = [Browser(app, BASE, platform) for _ in range(concurrency)]
    await browsers[0].launch(LaunchSpec("warm", [LEARNER], name="Warm Up", extra=custom))
    latencies: list[float] = []

    vilt_latencies: list[float] = []

    async def worker(index: int) -> None:
        browser = browsers[index]
        for n in range(index, launches, concurrency):
            browser.client.cookies.clear()
            spec = LaunchSpec(f"learner-{n}", [LEARNER], name=f"Learner {n}", extra=custom)
            started = time.perf_counter()
            params, _ = await browser.begin(spec)  # Vilt: login initiation
            in_vilt = time.perf_counter() - started
            form_page = await browser.client.get(f"{ISSUER}/auth?{urlencode(params)}")  # the LMS signs
            action, fields = parse_form(form_page.text)
            vilt_started = time.perf_counter()
            answer = await browser.client.post(action, data=fields)  # Vilt: checks, provisions, signs in
            page = await browser.client.get(BASE + answer.headers["location"])  # Vilt: the landing page
            in_vilt += time.perf_counter() - vilt_started
            latencies.append(time.perf_counter() - started)
            vilt_latencies.append(in_vilt)
            assert page.status_code == 200, page.text

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    launch_seconds = time.perf_counter() - started
    for browser in browsers:
        await browser.aclose()

    # scores: one line item, a score owed per learner, the worker sends them
    link_id = (await api.get("/api/v1/lti/links")).json()["items"][0]["id"]
    lineitem = f"{ISSUER}/ags/lineitems/bench?x=1"
    now = runtime.clock.now()
    async with runtime.db.transaction() as tx:
        await tx.execute(update(LtiResourceLink).values(lineitem_url=lineitem))
        for n in range(scores):
            score = score_for("completed", "attended", "", 1, final=True).payload(f"learner-{n}", now)
            await deliveries.enqueue(
                tx,
                now=now,
                account_id=account.id,
                kind="lti_score",
                target=link_id,
                event_type="roster.submitted",
                payload={"lineitem": lineitem, "score": score},
                idempotency_key=f"bench-{n}",
            )
    started = time.perf_counter()
    while sum(len(v) for v in platform.scores.values()) < scores:
        report = await runtime.worker.run_pass()
        if not report.deliveries:
            break
    score_seconds = time.perf_counter() - started
    delivered = sum(len(v) for v in platform.scores.values())
    await api.aclose()
    await runtime.aclose()
    latencies.sort()
    vilt_latencies.sort()
    return {
        "database": "sqlite" if database_url.startswith("sqlite") else "postgresql",
        "launches": launches,
        "concurrency": concurrency,
        "launches_per_second": round(launches / launch_seconds, 1),
        "launch_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "launch_p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1),
        "vilt_part_p50_ms": round(statistics.median(vilt_latencies) * 1000, 1),
        "vilt_part_p95_ms": round(vilt_latencies[int(len(vilt_latencies) * 0.95) - 1] * 1000, 1),
        "scores": delivered,
        "scores_per_second": round(delivered / score_seconds, 1),
        "token_requests": len(platform.token_requests),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--launches", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--scores", type=int, default=300)
    args = parser.parse_args()
    url = args.database_url or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/lti-bench.db"
    result = asyncio.run(main(url, args.launches, args.concurrency, args.scores))
    for name, value in result.items():
        print(f"{name:>22}: {value}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"lti_{result['database']}.json").write_text(json.dumps(result, indent=2))
