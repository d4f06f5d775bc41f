"""Zoom adapter: meetings and webinars on each instructor's Zoom user, registrants with personal
join URLs, a fresh start URL at an instructor's launch, the participants report after the end."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any, ClassVar, TypeVar
from urllib.parse import quote

import structlog

from vilt.core.launch import LaunchRole
from vilt.providers.base import (
    AttendanceFetch,
    Capability,
    CheckResult,
    ConnectionState,
    LiveStatus,
    MeetingRef,
    MeetingSpec,
    Person,
    ProviderContext,
    ProviderInfo,
    Registrant,
    Registration,
)
from vilt.providers.errors import (
    AuthExpired,
    Invalid,
    NotFound,
    ProviderError,
    QuotaReached,
    RateLimited,
    Retriable,
    Unsupported,
)
from vilt.providers.zoom import mapping
from vilt.providers.zoom.client import (
    PROVIDER,
    TokenRefused,
    ZoomClient,
    ZoomNotFound,
    ZoomRefused,
    encode_meeting_key,
)
from vilt.providers.zoom.config import ZoomSettings

log = structlog.get_logger(__name__)
T = TypeVar("T")

INFO = ProviderInfo(
    kind="zoom",
    title="Zoom",
    capabilities=frozenset(
        {
            Capability.MEETING,
            Capability.WEBINAR,
            Capability.UPDATE,
            Capability.REGISTRANTS,
            Capability.END,
            Capability.ATTENDANCE_POLLING,
            Capability.WEBHOOKS,
        }
    ),
    settings_model=ZoomSettings,
    concurrency=8,
    unsupported={
        "local_join_url": "Learners join with the personal join URL Zoom gives each registrant (prepared "
        "ahead); an instructor gets a start URL fetched at launch, because it expires.",
        "start": "A Zoom meeting starts when its host opens the start URL; the API has no start call.",
        "live_status": "Vilt does not poll Zoom while a meeting runs: the signed meeting.ended webhook says "
        "when it is over (Zoom's live participant list needs the Dashboard API of a Business plan).",
        "attendance_callback": "Zoom's webhooks only say that a meeting ended; attendance comes from the "
        "past-meeting participants report, fetched after the end.",
        "polls": "Per-participant poll answers are not read from Zoom, so the rule 'all poll questions "
        "answered' cannot be used with Zoom.",
        "oauth_link": "Zoom is linked with a Server-to-Server OAuth app (account id, client id and "
        "secret), checked directly; there is no consent page.",
        "link_existing": "Vilt creates its own Zoom meetings, with registration on; an existing meeting "
        "cannot be linked.",
    },
    docs_url="https://developers.zoom.us/docs/api/",
)

MEETING_WRITES_PER_DAY = 100
"""Zoom: at most 100 meeting (or webinar) creates and updates per user per day."""
BATCH = 30
"""``batch_registrants`` and ``registrants/status`` take at most 30 registrants per request."""
PAGE_SIZE = 300


def _failed(reason: str, field: str | None = None) -> CheckResult:
    return CheckResult(False, ConnectionState.ERROR, reason, field)


def _plural(ref: MeetingRef) -> str:
    return "webinars" if ref.data.get("kind") == "webinar" else "meetings"


class ZoomAdapter:
    info: ClassVar[ProviderInfo] = INFO

    def __init__(self, settings: ZoomSettings, context: ProviderContext) -> None:
        self.settings = settings
        self._context = context
        self._http = context.http.client(proxy=context.proxy)
        self.client = ZoomClient(self._http, settings, context.clock)

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- check --------------------------------------------------------------------------------------
    async def check(self) -> CheckResult:
        try:
            await self.client.token()
        except TokenRefused as exc:
            return _failed(exc.reason, exc.field)
        except (Retriable, Invalid, NotFound) as exc:
            return _failed(f"Could not get a token from {self.settings.oauth_url}: {exc.reason}", "oauth_url")
        try:
            me = await self.client.json("GET", "/users/me", category="Light")
            if self.settings.default_host_email:
                await self._user(self.settings.default_host_email, field="settings.default_host_email")
        except AuthExpired as exc:
            return _failed(
                f"{exc.reason}. Give the app the scopes meeting:write:admin, "
                "webinar:write:admin, report:read:admin and user:read:admin.",
                "client_id",
            )
        except Invalid as exc:
            return _failed(exc.reason, "default_host_email" if exc.field else None)
        except (Retriable, NotFound) as exc:
            return _failed(
                f"Could not read the account's user at {self.settings.api_url}: {exc.reason}", "api_url"
            )
        label = f"Zoom account {self.settings.account_id} ({me.get('email') or 'owner'})"
        return CheckResult(True, ConnectionState.LINKED, "Connected.", account_label=label)

    async def _user(self, email: str, *, field: str = "instructor_ids") -> Mapping[str, Any]:
        try:
            return await self.client.json("GET", f"/users/{quote(email, safe='@')}", category="Light")
        except ZoomNotFound:
            raise self._no_user(email, field) from None

    @staticmethod
    def _no_user(email: str, field: str) -> Invalid:
        return Invalid(
            f"{email} has no Zoom user in this Zoom account: add them in Zoom (User Management > Users), "
            "or make someone with a Zoom user the session's instructor.",
            field,
        )

    # -- meetings -----------------------------------------------------------------------------------
    def _host(self, spec: MeetingSpec) -> str:
        if spec.host is not None and spec.host.email:
            return spec.host.email.strip()
        return self.settings.default_host_email or "me"

    async def _counted_write(self, host: str, call: Callable[[], Awaitable[T]]) -> T:
        """A meeting create or update, counted against the host's daily quota before Zoom is asked,
        so the reason is clear before Zoom refuses (and every worker sees the same count)."""
        now = self._context.clock.now().astimezone(UTC)
        day = now.date().isoformat()
        subject = host.lower()
        used = await self._context.state.take_quota("meeting_writes", subject, day, MEETING_WRITES_PER_DAY)
        if used is None:
            midnight = datetime.combine(now.date() + timedelta(days=1), time(0), UTC)
            raise QuotaReached(
                f"Zoom allows {MEETING_WRITES_PER_DAY} meeting creates and updates per user per day, and "
                f"{host} has used them today; Vilt tries again after {midnight.isoformat()}.",
                midnight - now,
            )
        try:
            return await call()
        except (Invalid, NotFound, AuthExpired, RateLimited):
            # refused for sure: Zoom did not count it either (a timeout may have reached Zoom: kept)
            await self._context.state.release_quota("meeting_writes", subject, day)
            raise

    async def _find_created(self, host: str, plural: str, session_key: str) -> Mapping[str, Any] | None:
        params: dict[str, Any] = {"page_size": PAGE_SIZE}
        if plural == "meetings":
            params["type"] = "upcoming"
        while True:
            page = await self.client.json(
                "GET", f"/users/{quote(host, safe='@')}/{plural}", category="Medium", params=params
            )
            found = mapping.find_created(page.get(plural) or [], session_key)
            token = str(page.get("next_page_token") or "")
            if found is not None or not token:
                return found
            params["next_page_token"] = token

    def _ref(self, body: Mapping[str, Any], spec: MeetingSpec, host: str) -> MeetingRef:
        return MeetingRef(
            str(body["id"]),
            {
                "kind": "webinar" if mapping.is_webinar(spec) else "meeting",
                "host": host,
                "host_id": str(body.get("host_id") or ""),
                "join_url": str(body.get("join_url") or ""),
            },
        )

    async def create_meeting(self, spec: MeetingSpec) -> MeetingRef:
        host = self._host(spec)
        plural = "webinars" if mapping.is_webinar(spec) else "meetings"
        try:
            existing = await self._find_created(host, plural, spec.session_key)
            if existing is not None:
                log.info("zoom.create_found_existing", meeting=str(existing.get("id")))
                return self._ref(existing, spec, host)
            created = await self._counted_write(
                host,
                lambda: self.client.json(
                    "POST",
                    f"/users/{quote(host, safe='@')}/{plural}",
                    category="Medium",
                    json=mapping.meeting_body(spec),
                ),
            )
        except ZoomNotFound as exc:
            if exc.code == 1001 or "User does not exist" in exc.reason:
                raise self._no_user(host, "instructor_ids") from None
            raise
        if not created.get("id"):
            raise Retriable(f"{PROVIDER} created the {plural[:-1]} but gave no id.")
        return self._ref(created, spec, host)

    async def update_meeting(self, ref: MeetingRef, spec: MeetingSpec) -> MeetingRef:
        wanted = self._host(spec)
        host = str(ref.data.get("host") or wanted)
        if wanted.lower() != host.lower():
            return await self._move(ref, spec)
        try:
            await self._counted_write(
                host,
                lambda: self.client.call(
                    "PATCH", f"/{_plural(ref)}/{ref.ref}", category="Light", json=mapping.update_body(spec)
                ),
            )
        except ZoomNotFound as exc:
            if exc.code == 1001:
                raise self._no_user(host, "instructor_ids") from None
            # deleted on Zoom: a new meeting (Vilt sees the new id and registers everyone again)
            log.info("zoom.meeting_gone_recreating", meeting=ref.ref)
            return await self.create_meeting(spec)
        return ref

    async def _move(self, ref: MeetingRef, spec: MeetingSpec) -> MeetingRef:
        """Another instructor hosts now. Zoom cannot hand a meeting to another user, so it is made
        again on the new host's account (new id: learners are registered anew) and the old one is
        deleted; if the delete fails, the retried update finds the new meeting and deletes again."""
        moved = await self.create_meeting(spec)
        await self.delete_meeting(ref)
        log.info("zoom.meeting_moved_to_new_host", old=ref.ref, new=moved.ref)
        return moved

    async def delete_meeting(self, ref: MeetingRef) -> None:
        try:
            await self.client.call(
                "DELETE",
                f"/{_plural(ref)}/{ref.ref}",
                category="Light",
                params={"schedule_for_reminder": "false"},
            )
        except NotFound:
            return

    async def end_meeting(self, ref: MeetingRef) -> None:
        try:
            await self.client.call(
                "PUT", f"/{_plural(ref)}/{ref.ref}/status", category="Light", json={"action": "end"}
            )
        except NotFound:
            return

    async def live_status(self, ref: MeetingRef) -> LiveStatus:
        raise Unsupported("Live status", INFO.unsupported["live_status"])

    # -- registrants and launch -----------------------------------------------------------------------
    async def register(self, ref: MeetingRef, people: Sequence[Person]) -> list[Registration]:
        """Batches of 30; a batch that fails after others succeeded keeps what succeeded (the
        rest is retried), and registering an email twice gives the same registrant back."""
        with_email = [p for p in people if p.email]
        done: list[Registration] = []
        for start in range(0, len(with_email), BATCH):
            batch = with_email[start : start + BATCH]
            try:
                answer = await self.client.json(
                    "POST",
                    f"/{_plural(ref)}/{ref.ref}/batch_registrants",
                    category="Medium",
                    json={
                        "auto_approve": True,
                        "registrants_confirmation_email": False,
                        "registrants": [mapping.registrant(p) for p in batch],
                    },
                )
            except ProviderError as exc:
                if not done:
                    raise
                log.warning("zoom.registration_partial", meeting=ref.ref, done=len(done), reason=exc.reason)
                break
            done += mapping.registrations(batch, answer)
        return done

    async def cancel_registrations(self, ref: MeetingRef, registrants: Sequence[Registrant]) -> list[str]:
        """``PUT …/registrants/status`` with action ``cancel``, 30 at a time (a Light call). A batch
        that fails after others succeeded keeps what succeeded; a meeting Zoom no longer has
        (3001) has no registrations left to cancel."""
        done: list[str] = []
        for start in range(0, len(registrants), BATCH):
            batch = registrants[start : start + BATCH]
            try:
                await self.client.call(
                    "PUT",
                    f"/{_plural(ref)}/{ref.ref}/registrants/status",
                    category="Light",
                    json={"action": "cancel", "registrants": [mapping.registrant_status(r) for r in batch]},
                )
            except ZoomNotFound as exc:
                if exc.code not in (None, 3001):
                    raise
                log.info("zoom.cancel_meeting_gone", meeting=ref.ref)
                return [r.registrant_id for r in registrants]
            except ProviderError as exc:
                if not done:
                    raise
                log.warning("zoom.cancel_partial", meeting=ref.ref, done=len(done), reason=exc.reason)
                break
            done += [r.registrant_id for r in batch]
        return done

    def join_url(self, ref: MeetingRef, person: Person, role: LaunchRole) -> str | None:
        return None  # learners use their registrant URL; hosts need a fresh start URL

    async def host_url(self, ref: MeetingRef, person: Person) -> str:
        body = await self.client.json("GET", f"/{_plural(ref)}/{ref.ref}", category="Light")
        url = str(body.get("start_url") or "")
        if not url:
            raise Retriable(f"{PROVIDER} gave no start URL for this meeting.")
        return url

    # -- attendance ---------------------------------------------------------------------------------
    async def fetch_attendance(self, ref: MeetingRef, spec: MeetingSpec) -> AttendanceFetch:
        plural = _plural(ref)
        try:
            listed = await self.client.json("GET", f"/past_{plural}/{ref.ref}/instances", category="Medium")
        except NotFound:
            return AttendanceFetch(ready=False, reason="Zoom has no past instance of this meeting yet.")
        chosen = mapping.session_instances(listed.get("meetings") or listed.get("webinars") or [], spec)
        if not chosen:
            return AttendanceFetch(ready=False, reason="Zoom lists no finished instance of this meeting yet.")
        rows: list[Mapping[str, Any]] = []
        raw = []
        for uuid in chosen:
            found = await self._report(plural, uuid)
            if found is None:
                return AttendanceFetch(
                    ready=False, reason="Zoom has not published the participants report yet."
                )
            rows += found
            raw.append({"uuid": uuid, "participants": found})
        host = str(ref.data.get("host") or "") or (spec.host.email if spec.host else None)
        return AttendanceFetch(
            ready=True, reports=mapping.participant_reports(rows, host), raw={"instances": raw}
        )

    async def _report(self, plural: str, uuid: str) -> list[Mapping[str, Any]] | None:
        """Every row of one instance's participants report, page by page. A page token expires
        after 15 minutes: if it did, the instance is read again from its first page."""
        path = f"/report/{plural}/{encode_meeting_key(uuid)}/participants"
        for _ in range(2):
            rows: list[Mapping[str, Any]] = []
            params: dict[str, Any] = {"page_size": PAGE_SIZE}
            try:
                while True:
                    page = await self.client.json("GET", path, category="Medium", params=params)
                    rows += [r for r in page.get("participants") or [] if isinstance(r, Mapping)]
                    token = str(page.get("next_page_token") or "")
                    if not token:
                        return rows
                    params["next_page_token"] = token
            except NotFound:
                return None
            except ZoomRefused as exc:
                if "next page token" not in exc.reason.lower():
                    raise
                log.info("zoom.page_token_expired_restarting", instance=uuid)
        raise Retriable("Zoom's report page tokens kept expiring; trying again later.")
