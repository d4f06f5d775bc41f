"""Shared pieces for the BigBlueButton simulator and adapter tests: a frozen clock, the simulator
on it, a tiny receiver for its callbacks, and request signing written independently of the
adapter (so the simulator is not checked against the code it is meant to check)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeXML
import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRET = "639259d4-9dd8-4b25-bf01-95f9567eaf4b"
BBB = "http://bbb.sim"
VILT = "http://vilt.test"


def signed(
    call: str, params: Sequence[tuple[str, str]] = (), *, secret: str = SECRET, algorithm: str = "sha1"
) -> str:
    """``/bigbluebutton/api/<call>?<query>&checksum=<hexdigest(call + query + secret)>``."""
    query = urlencode(list(params))
    digest = hashlib.new(algorithm, f"{call}{query}{secret}".encode()).hexdigest()
    joined = f"{query}&checksum={digest}" if query else f"checksum={digest}"
    return f"/bigbluebutton/api/{call}?{joined}"


def xml(response: httpx.Response) -> Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    root: Element = SafeXML.fromstring(response.content)
    assert root.tag == "response"
    return root


def text(root: Element, tag: str) -> str:
    return root.findtext(tag) or ""


@dataclass
class Received:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A stand-in for Vilt's callback endpoints: records what arrives, answers ``status``."""

    status: int = 200
    requests: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.app = Starlette(routes=[Route("/{path:path}", self._record, methods=["GET", "POST"])])

    async def _record(self, request: Request) -> Response:
        body = await request.body()
        self.requests.append(Received(request.method, str(request.url), dict(request.headers), body))
        return PlainTextResponse("ok", status_code=self.status)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app))

    def of(self, method: str) -> list[Received]:
        return [r for r in self.requests if r.method == method]
