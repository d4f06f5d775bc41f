"""Fault switches: the next N matching calls fail with a status, or are delayed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send


@dataclass
class Fault:
    status: int | None
    remaining: int
    delay_ms: int = 0
    path_prefix: str = ""
    retry_after: int = 1


class FaultInjector:
    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self.faults.append(fault)

    def clear(self) -> None:
        self.faults.clear()

    def take(self, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.remaining > 0 and path.startswith(fault.path_prefix):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self.faults.remove(fault)
                return fault
        return None


class FaultMiddleware:
    """Applies faults to provider API calls; the control API and pages are never affected."""

    def __init__(
        self,
        app: ASGIApp,
        injector: FaultInjector,
        exempt: tuple[str, ...],
        respond: Callable[[Fault, str], Response] | None = None,
    ) -> None:
        self.app = app
        self.injector = injector
        self.exempt = exempt
        self.respond = respond or (lambda fault, path: fault_response(fault))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        path = request.url.path
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :] or "/"
        if path.startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        fault = self.injector.take(path)
        if fault is not None:
            if fault.delay_ms:
                await asyncio.sleep(fault.delay_ms / 1000)
            if fault.status is not None:
                response = self.respond(fault, path)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def fault_response(fault: Fault) -> Response:
    headers = {"Retry-After": str(fault.retry_after)} if fault.status == 429 else {}
    return PlainTextResponse(f"Simulated failure {fault.status}", fault.status or 500, headers=headers)
