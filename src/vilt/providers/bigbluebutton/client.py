"""Thin, typed calls to the BigBlueButton API: checksums, URLs and XML envelopes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeXML
import httpx

from vilt.clock import Clock
from vilt.providers.bigbluebutton.config import ChecksumAlgorithm
from vilt.providers.errors import Retriable
from vilt.providers.http import raise_for_status, send

PROVIDER = "BigBlueButton"
Params = Sequence[tuple[str, str]]


def checksum(call: str, query: str, secret: str, algorithm: ChecksumAlgorithm) -> str:
    """hexdigest(call name + the exact query string sent + shared secret)."""
    digest = hashlib.new(algorithm.value)
    digest.update(f"{call}{query}{secret}".encode())
    return digest.hexdigest()


def signed_query(call: str, params: Params, secret: str, algorithm: ChecksumAlgorithm) -> str:
    query = urlencode(list(params))
    mark = checksum(call, query, secret, algorithm)
    return f"{query}&checksum={mark}" if query else f"checksum={mark}"


@dataclass(frozen=True)
class Envelope:
    """A parsed ``<response>``: SUCCESS or FAILED with its stable messageKey."""

    root: Element

    @property
    def ok(self) -> bool:
        return self.text("returncode") == "SUCCESS"

    @property
    def message_key(self) -> str:
        return self.text("messageKey")

    @property
    def message(self) -> str:
        return self.text("message")

    def text(self, tag: str, default: str = "") -> str:
        node = self.root.find(tag)
        return (node.text or default).strip() if node is not None and node.text else default


class NotBigBlueButton(Exception):
    """The server answered, but not with BigBlueButton's XML envelope."""


class Redirected(Retriable):
    """The server answered an API call with a redirect (adapters never follow one: a redirect of a
    signed URL is usually http → https or a moved server, which the administrator must fix)."""

    def __init__(self, status: int, location: str) -> None:
        super().__init__(f"{PROVIDER} answered HTTP {status} (a redirect).")
        self.location = location


def parse_envelope(body: bytes) -> Envelope:
    try:
        root = SafeXML.fromstring(body)
    except Exception:
        raise NotBigBlueButton("The answer is not XML.") from None
    if root.tag != "response" or root.find("returncode") is None:
        raise NotBigBlueButton("The answer is XML but not a BigBlueButton response.")
    return Envelope(root)


class BigBlueButtonClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        api_base: str,
        secret: str,
        algorithm: ChecksumAlgorithm,
        clock: Clock,
    ) -> None:
        self._http = http
        self.api_base = api_base.rstrip("/")
        self._secret = secret
        self._algorithm = algorithm
        self._clock = clock

    def url(self, call: str, params: Params) -> str:
        return f"{self.api_base}/{call}?{signed_query(call, params, self._secret, self._algorithm)}"

    async def version(self) -> Envelope:
        """``GET /bigbluebutton/api`` needs no checksum; it proves the server speaks BBB."""
        return await self._get(self.api_base)

    async def call(self, call: str, params: Params) -> Envelope:
        return await self._get(self.url(call, params))

    async def _get(self, url: str) -> Envelope:
        response = await send(self._http, self._http.build_request("GET", url), provider=PROVIDER)
        raise_for_status(response, provider=PROVIDER, now=self._clock.now())
        if 300 <= response.status_code < 400:
            location = urlsplit(response.headers.get("location", ""))
            # only where it points, never its query (which could carry a checksum)
            raise Redirected(response.status_code, urlunsplit((*location[:3], "", "")))
        return parse_envelope(response.content)
