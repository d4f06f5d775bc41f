"""Shared HTTP plumbing for adapters: clients, in-process routes, and status → error mapping."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from vilt.providers.errors import AuthExpired, Invalid, NotFound, RateLimited, Retriable

ASGIApp = Any


class TimedASGITransport(httpx.ASGITransport):
    """An in-process route that keeps the client's timeout, as a socket would: a simulator told
    to be slow makes the call time out instead of hanging."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout") or {}
        limit = timeouts.get("read") or timeouts.get("pool")
        if not limit:
            return await super().handle_async_request(request)
        try:
            # in this task (no wrapping task): the app's own tasks and connections stay where they were
            async with asyncio.timeout(limit):
                return await super().handle_async_request(request)
        except TimeoutError:
            raise httpx.ReadTimeout("The in-process route did not answer in time.", request=request) from None


class HttpEnvironment:
    """Builds the HTTP clients adapters use.

    ``routes`` maps an origin (``http://bbb.sim``) to an in-process ASGI app, so simulators and
    our own mounted sandbox answer without sockets; everything else goes over the network,
    through the integration's egress proxy when it has one.
    """

    def __init__(self, *, timeout: float = 20.0, routes: Mapping[str, ASGIApp] | None = None) -> None:
        self.timeout = timeout
        self._routes: dict[str, ASGIApp] = dict(routes or {})
        # loading the CA bundle costs ~30 ms: once per process, not once per client
        self._tls = httpx.create_ssl_context()

    def add_route(self, origin: str, app: ASGIApp) -> None:
        self._routes[origin.rstrip("/")] = app

    def client(
        self,
        *,
        base_url: str = "",
        proxy: str | None = None,
        headers: Mapping[str, str] | None = None,
        follow_redirects: bool = False,
    ) -> httpx.AsyncClient:
        mounts: dict[str, httpx.AsyncBaseTransport] = {
            origin: TimedASGITransport(app=app, raise_app_exceptions=False)
            for origin, app in self._routes.items()
        }
        return httpx.AsyncClient(
            base_url=base_url,
            timeout=self.timeout,
            mounts=mounts,
            proxy=proxy,
            headers=dict(headers or {}),
            follow_redirects=follow_redirects,
            verify=self._tls,
        )


async def send(client: httpx.AsyncClient, request: httpx.Request, *, provider: str) -> httpx.Response:
    """Send ``request``; network trouble becomes Retriable with a reason free of secrets."""
    try:
        return await client.send(request)
    except httpx.TimeoutException:
        raise Retriable(f"{provider} did not answer in time.") from None
    except httpx.ConnectError:
        raise Retriable(f"Could not connect to {provider} at {request.url.host}.") from None
    except httpx.TransportError as exc:
        raise Retriable(f"Network error talking to {provider}: {type(exc).__name__}.") from None


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Retry-After as seconds, an HTTP date, or (Zoom's daily limit) an ISO datetime."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    when: datetime | None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when - now, timedelta(0))


def raise_for_status(response: httpx.Response, *, provider: str, now: datetime, detail: str = "") -> None:
    """Map an HTTP failure to the shared errors; a 2xx or 3xx passes."""
    status = response.status_code
    if status < 400:
        return
    suffix = f": {detail}" if detail else ""
    if status == 401:
        raise AuthExpired(f"{provider} refused the credentials (HTTP 401){suffix}")
    if status == 404:
        raise NotFound(f"{provider} does not know this object (HTTP 404){suffix}")
    if status == 429:
        defer = parse_retry_after(response.headers.get("Retry-After"), now)
        raise RateLimited(f"{provider} asked to slow down (HTTP 429){suffix}", defer)
    if status >= 500 or status == 408:
        defer = parse_retry_after(response.headers.get("Retry-After"), now)
        raise Retriable(f"{provider} failed (HTTP {status}){suffix}", defer)
    raise Invalid(f"{provider} refused the request (HTTP {status}){suffix}")
