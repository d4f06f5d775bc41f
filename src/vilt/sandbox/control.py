"""The control API every simulator shares, under ``/_sim/`` (SPEC §7)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from vilt.clock import Clock
from vilt.sandbox.faults import Fault, FaultInjector, FaultMiddleware, fault_response
from vilt.sandbox.outbox import ClientFactory, Outbox


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class SimError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class JoinRequest:
    email: str | None
    name: str
    user_id: str | None
    role: str


class Simulator(ABC):
    """An in-memory provider. Subclasses add the provider's API routes and lifecycle."""

    kind: ClassVar[str]
    exempt_from_faults: ClassVar[tuple[str, ...]] = ("/_sim",)

    def __init__(
        self,
        clock: Clock,
        *,
        public_base: str = "http://sim.invalid",
        outbound: ClientFactory | None = None,
    ) -> None:
        self.clock = clock
        self.public_base = public_base.rstrip("/")
        self.faults = FaultInjector()
        self.outbox = Outbox(outbound)
        self.calls: list[tuple[str, str]] = []
        """(method, path) of every provider API call, for tests that count calls."""
        self.app = Starlette(
            routes=[*self.api_routes(), *self._control_routes()],
            middleware=[
                Middleware(
                    FaultMiddleware,
                    injector=self.faults,
                    exempt=self.exempt_from_faults,
                    respond=self.fault_response,
                )
            ],
        )

    # -- what each simulator provides -------------------------------------------------------
    @abstractmethod
    def api_routes(self) -> Sequence[BaseRoute]: ...

    @abstractmethod
    def meetings(self) -> list[dict[str, Any]]: ...

    @abstractmethod
    def join(self, meeting_id: str, request: JoinRequest) -> dict[str, Any]: ...

    @abstractmethod
    def leave(self, meeting_id: str, email: str | None, user_id: str | None) -> dict[str, Any]: ...

    @abstractmethod
    def answer_polls(
        self, meeting_id: str, email: str | None, user_id: str | None, answered: int, asked: int
    ) -> dict[str, Any]: ...

    @abstractmethod
    def end(self, meeting_id: str) -> dict[str, Any]: ...

    def reconcile(self, now: datetime) -> None:  # noqa: B027 - optional hook
        """Apply what time alone changes (expiry, auto-end); called before every request."""

    def fault_response(self, fault: Fault, path: str) -> Response:
        """How an injected failure looks; simulators answer in their provider's own error body."""
        return fault_response(fault)

    def integration_settings(self) -> dict[str, str]:
        """What to type into an integration to use this simulator."""
        return {}

    def reset(self) -> None:
        self.faults.clear()
        self.calls.clear()

    async def drain(self) -> None:
        """Deliver every callback this simulator has queued."""
        self.reconcile(self.clock.now())
        await self.outbox.drain()

    # -- the control API --------------------------------------------------------------------
    def _control_routes(self) -> list[BaseRoute]:
        return [
            Route("/_sim/meetings", self._list, methods=["GET"]),
            Route("/_sim/meetings/{meeting_id:path}/join", self._join, methods=["POST"]),
            Route("/_sim/meetings/{meeting_id:path}/leave", self._leave, methods=["POST"]),
            Route("/_sim/meetings/{meeting_id:path}/polls", self._polls, methods=["POST"]),
            Route("/_sim/meetings/{meeting_id:path}/end", self._end, methods=["POST"]),
            Route("/_sim/faults", self._faults, methods=["POST", "DELETE"]),
            Route("/_sim/callbacks", self._callbacks, methods=["GET"]),
            Route("/_sim/reset", self._reset, methods=["POST"]),
        ]

    async def _body(self, request: Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            raise SimError(400, "The body must be JSON.") from None
        if not isinstance(body, dict):
            raise SimError(400, "The body must be a JSON object.")
        return body

    async def _guard(self, handler: Any) -> Response:
        try:
            self.reconcile(self.clock.now())
            return JSONResponse(await handler())
        except SimError as exc:
            return JSONResponse({"error": exc.message}, status_code=exc.status)

    async def _list(self, request: Request) -> Response:
        async def run() -> Any:
            return {"meetings": self.meetings()}

        return await self._guard(run)

    async def _join(self, request: Request) -> Response:
        async def run() -> Any:
            body = await self._body(request)
            name = str(body.get("name") or body.get("email") or "").strip()
            if not name:
                raise SimError(400, "Give at least a name or an email.")
            join = JoinRequest(
                email=body.get("email"),
                name=name,
                user_id=body.get("user_id"),
                role=str(body.get("role") or "attendee"),
            )
            return self.join(request.path_params["meeting_id"], join)

        return await self._guard(run)

    async def _leave(self, request: Request) -> Response:
        async def run() -> Any:
            body = await self._body(request)
            if not body.get("email") and not body.get("user_id"):
                raise SimError(400, "Give the email or the user_id of who leaves.")
            return self.leave(request.path_params["meeting_id"], body.get("email"), body.get("user_id"))

        return await self._guard(run)

    async def _polls(self, request: Request) -> Response:
        async def run() -> Any:
            body = await self._body(request)
            answered, asked = body.get("answered"), body.get("asked")
            if not isinstance(answered, int) or not isinstance(asked, int) or not 0 <= answered <= asked:
                raise SimError(400, "answered and asked are whole numbers with answered <= asked.")
            return self.answer_polls(
                request.path_params["meeting_id"], body.get("email"), body.get("user_id"), answered, asked
            )

        return await self._guard(run)

    async def _end(self, request: Request) -> Response:
        async def run() -> Any:
            return self.end(request.path_params["meeting_id"])

        return await self._guard(run)

    async def _faults(self, request: Request) -> Response:
        async def run() -> Any:
            if request.method == "DELETE":
                self.faults.clear()
                return {"faults": 0}
            body = await self._body(request)
            status = body.get("status")
            count = body.get("count", 1)
            delay_ms = body.get("delay_ms") or 0
            retry_after = body.get("retry_after", 1)
            path_prefix = body.get("path_prefix") or ""
            if status is not None and (not _whole(status) or not 400 <= status <= 599):
                raise SimError(400, "status must be an HTTP error status (400-599).")
            if not _whole(count) or count < 1:
                raise SimError(400, "count must be a positive whole number.")
            if not _whole(delay_ms) or not 0 <= delay_ms <= 60_000:
                raise SimError(400, "delay_ms must be a whole number of milliseconds, 0 to 60000.")
            if not _whole(retry_after) or retry_after < 0:
                raise SimError(400, "retry_after must be a whole number of seconds.")
            if not isinstance(path_prefix, str):
                raise SimError(400, "path_prefix must be a string.")
            fault = Fault(
                status=status,
                remaining=count,
                delay_ms=delay_ms,
                path_prefix=path_prefix,
                retry_after=retry_after,
            )
            if fault.status is None and not fault.delay_ms:
                raise SimError(400, "Give a status, a delay_ms, or both.")
            self.faults.add(fault)
            return {"faults": len(self.faults.faults)}

        return await self._guard(run)

    async def _callbacks(self, request: Request) -> Response:
        async def run() -> Any:
            return {"callbacks": [c.public() for c in self.outbox.sent]}

        return await self._guard(run)

    async def _reset(self, request: Request) -> Response:
        async def run() -> Any:
            self.reset()
            return {"reset": True}

        return await self._guard(run)
