"""Level-triggered reconciliation (DESIGN). The database is the source of truth: a pass claims
due sessions under a lease, plans each with ``core.plan``, executes the actions through
``services.sync`` and writes the next ``due_at``. A worker that dies leaves a lease that expires;
another worker picks the session up, and idempotent actions make the retry harmless."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import structlog

from vilt.core.planner import backoff, plan
from vilt.metrics import WORKER_ACTIONS, WORKER_PASS_SECONDS
from vilt.services import sync
from vilt.services.context import ServiceContext
from vilt.services.deliveries import Sent, record_attempt
from vilt.storage.db import Database
from vilt.storage.models import Delivery, Session
from vilt.storage.repositories import deliveries as deliveries_repo
from vilt.storage.repositories import events as events_repo
from vilt.storage.repositories import integrations as integrations_repo
from vilt.storage.repositories import work

log = structlog.get_logger(__name__)

MAX_STEPS = 12


@dataclass
class SessionReport:
    session_id: str
    actions: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class DeliveryReport:
    delivery_id: str
    kind: str = ""
    status: str = ""


@dataclass
class PassReport:
    claimed: int = 0
    sessions: list[SessionReport] = field(default_factory=list)
    deliveries: list[DeliveryReport] = field(default_factory=list)

    @property
    def actions(self) -> int:
        return sum(len(s.actions) for s in self.sessions)

    def public(self) -> dict[str, object]:
        return {
            "claimed": self.claimed,
            "sessions": [
                {"session_id": s.session_id, "actions": s.actions, "error": s.error} for s in self.sessions
            ],
            "deliveries": [
                {"delivery_id": d.delivery_id, "kind": d.kind, "status": d.status} for d in self.deliveries
            ],
        }


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    def __init__(
        self,
        db: Database,
        ctx: ServiceContext,
        *,
        owner: str | None = None,
        lease: timedelta = timedelta(seconds=120),
        batch: int = 50,
    ) -> None:
        self.db = db
        self.ctx = ctx
        self.owner = owner or default_owner()
        self.lease = lease
        self.batch = batch
        self.wake = asyncio.Event()

    async def run_pass(self) -> PassReport:
        with WORKER_PASS_SECONDS.time():
            return await self._pass()

    async def _pass(self) -> PassReport:
        report = PassReport()
        async with self.db.transaction() as tx:
            ids = await work.claim_due_sessions(tx, self.owner, self.ctx.clock.now(), self.lease, self.batch)
        report.claimed = len(ids)
        for session_id in ids:
            report.sessions.append(await self.process(session_id))
        async with self.db.transaction() as tx:
            due = await work.claim_due(tx, Delivery, self.owner, self.ctx.clock.now(), self.lease, self.batch)
        report.claimed += len(due)
        for delivery_id in due:
            report.deliveries.append(await self.deliver(delivery_id))
        return report

    async def deliver(self, delivery_id: uuid.UUID) -> DeliveryReport:
        """Send one owed message; its outcome is written only if the lease is still ours."""
        report = DeliveryReport(str(delivery_id))
        async with self.db.transaction() as tx:
            delivery = await deliveries_repo.by_id(tx, delivery_id, for_update=True)
            if delivery is None or delivery.lease_owner != self.owner:
                return report
            handler = self.ctx.deliveries.get(delivery.kind)
            prepared = await handler.prepare(tx, delivery) if handler is not None else None
            tx.expunge(delivery)
        report.kind = delivery.kind
        if handler is None:
            sent = Sent(False, error=f"No sender for deliveries of kind '{delivery.kind}'.", permanent=True)
        else:
            try:
                sent = await handler.send(delivery, prepared)
            except Exception as exc:  # a bug in a sender must not lose the delivery
                log.exception("worker.delivery_crashed", delivery=str(delivery_id))
                sent = Sent(False, error=f"{type(exc).__name__} while sending")
        async with self.db.transaction() as tx:
            current = await deliveries_repo.by_id(tx, delivery_id, for_update=True)
            if current is None or current.lease_owner != self.owner:
                return report
            record_attempt(current, sent, self.ctx.clock.now())
            report.status = current.status
        WORKER_ACTIONS.labels(f"deliver_{delivery.kind}", "ok" if sent.ok else "failed").inc()
        return report

    async def run_now(self, session_id: uuid.UUID) -> SessionReport | None:
        """Process one session at once (a save pushes immediately), unless another worker has it."""
        async with self.db.transaction() as tx:
            claimed = await work.claim_session(tx, session_id, self.owner, self.ctx.clock.now(), self.lease)
        if not claimed:
            return None
        return await self.process(session_id)

    async def process(self, session_id: uuid.UUID) -> SessionReport:
        report = SessionReport(str(session_id))
        try:
            await self._reconcile(session_id, report)
        except Exception as exc:  # a bug or the database: never lose the session, retry later
            report.error = f"{type(exc).__name__}: {exc}"
            log.exception("worker.session_failed", session=str(session_id))
            await self._defer(session_id, report.error)
        return report

    async def _owned(self, session: Session | None) -> bool:
        if session is None:
            return False
        if session.lease_owner != self.owner:
            log.warning(
                "worker.lease_lost", session=str(session.id), owner=self.owner, holder=session.lease_owner
            )
            return False
        return True

    async def _reconcile(self, session_id: uuid.UUID, report: SessionReport) -> None:
        for _ in range(MAX_STEPS):
            async with self.db.transaction() as tx:
                session = await events_repo.session_by_id(tx, session_id, for_update=True)
                if not await self._owned(session):
                    return
                assert session is not None
                integration = (
                    await integrations_repo.by_id(tx, session.integration_id)
                    if session.integration_id
                    else None
                )
                now = self.ctx.clock.now()
                decided = plan(sync.snapshot(session, integration), now)
                if decided.idle:
                    session.due_at = decided.next_due_at
                    session.last_error = None
                    session.lease_owner = None
                    session.lease_until = None
                    return
                action = decided.actions[0]
                prepared = await sync.prepare(self.ctx, tx, session, action)
                session.lease_until = now + self.lease
            result = await sync.perform(self.ctx, prepared)
            async with self.db.transaction() as tx:
                session = await events_repo.session_by_id(tx, session_id, for_update=True)
                if not await self._owned(session):
                    return
                assert session is not None
                await sync.apply(self.ctx, tx, session, prepared, result)
            report.actions.append(action.value + ("" if result.ok else " (failed)"))
            WORKER_ACTIONS.labels(action.value, "ok" if result.ok else "failed").inc()
        log.warning("worker.too_many_steps", session=str(session_id))
        await self._defer(session_id, "too many steps in one pass")

    async def _defer(self, session_id: uuid.UUID, error: str) -> None:
        try:
            async with self.db.transaction() as tx:
                session = await events_repo.session_by_id(tx, session_id, for_update=True)
                if session is None or session.lease_owner != self.owner:
                    return
                session.last_error = error[:2000]
                session.due_at = self.ctx.clock.now() + backoff(2)
                session.lease_owner = None
                session.lease_until = None
        except Exception:  # the database itself is down: the lease will expire
            log.exception("worker.defer_failed", session=str(session_id))

    async def run_forever(self, stop: asyncio.Event, interval: float = 5.0) -> None:
        log.info("worker.started", owner=self.owner)
        while not stop.is_set():
            try:
                report = await self.run_pass()
                await self.ctx.launches.flush(self.db)
                if report.claimed:
                    log.info("worker.pass", claimed=report.claimed, actions=report.actions)
                if report.claimed >= self.batch:
                    continue  # more may be due
            except Exception:
                log.exception("worker.pass_failed")
            self.wake.clear()
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self.wake.wait())]
            await asyncio.wait(waiters, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
        log.info("worker.stopped", owner=self.owner)
