"""BigBlueButton adapter: the provider protocol over the checksum-signed API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit

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
    Registration,
)
from vilt.providers.bigbluebutton import mapping
from vilt.providers.bigbluebutton.client import (
    PROVIDER,
    BigBlueButtonClient,
    Envelope,
    NotBigBlueButton,
    Params,
    Redirected,
)
from vilt.providers.bigbluebutton.config import BigBlueButtonSettings, ChecksumAlgorithm
from vilt.providers.errors import AuthExpired, Invalid, NotFound, ProviderError, Retriable, Unsupported

INFO = ProviderInfo(
    kind="bigbluebutton",
    title="BigBlueButton",
    capabilities=frozenset(
        {
            Capability.MEETING,
            Capability.WEBINAR,
            Capability.LOCAL_JOIN_URL,
            Capability.END,
            Capability.LIVE_STATUS,
            Capability.ATTENDANCE_CALLBACK,
            Capability.POLLS,
        }
    ),
    settings_model=BigBlueButtonSettings,
    concurrency=10,
    unsupported={
        "update": "A created BigBlueButton meeting cannot be changed; a new title applies when "
        "the meeting is created again.",
        "registrants": "BigBlueButton has no registrants; join URLs are signed locally.",
        "start": "A BigBlueButton meeting starts when its first moderator joins.",
        "attendance_polling": "BigBlueButton keeps no attendance after the end; it sends it by "
        "the analytics callback, and Vilt observes who is present while the meeting runs.",
        "webhooks": "Vilt uses BigBlueButton's per-meeting callbacks (analytics and end), which need "
        "no webhook registration.",
        "oauth_link": "BigBlueButton is linked by its shared secret; there is no consent page.",
        "link_existing": "BigBlueButton meetings exist only while they run; Vilt creates its own.",
    },
    docs_url="https://docs.bigbluebutton.org/development/api/",
)

_FAILURE_REASONS = {
    "checksumError": "The server refused the checksum: the shared secret is wrong, or the server "
    "does not accept the chosen checksum algorithm.",
}


class ChecksumRefused(AuthExpired):
    """``checksumError``: the secret (or the checksum algorithm) is not what the server has."""


def _raise_failed(envelope: Envelope, call: str) -> None:
    key = envelope.message_key
    if key == "checksumError":
        raise ChecksumRefused(_FAILURE_REASONS[key])
    if key in ("notFound", "invalidMeetingIdentifier"):
        raise NotFound(f"{PROVIDER} has no such meeting ({call}: {key}).")
    raise Invalid(f"{PROVIDER} refused {call}: {envelope.message or key} ({key}).")


def _failed(reason: str, field: str | None = None) -> CheckResult:
    return CheckResult(False, ConnectionState.ERROR, reason, field)


def _shown(url: str) -> str:
    """The URL for messages: without user:password, should the administrator have pasted one."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


class BigBlueButtonAdapter:
    info: ClassVar[ProviderInfo] = INFO

    def __init__(self, settings: BigBlueButtonSettings, context: ProviderContext) -> None:
        self.settings = settings
        self._context = context
        self._http = context.http.client(proxy=context.proxy)
        self._client = BigBlueButtonClient(
            self._http,
            settings.api_base,
            settings.secret.get_secret_value(),
            settings.checksum_algorithm,
            context.clock,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, call: str, params: Params) -> Envelope:
        try:
            envelope = await self._client.call(call, params)
        except NotBigBlueButton as exc:
            raise Retriable(f"{PROVIDER} gave an answer that could not be read: {exc}") from None
        if not envelope.ok:
            _raise_failed(envelope, call)
        return envelope

    async def check(self) -> CheckResult:
        where = _shown(self.settings.api_base)
        try:
            version = await self._client.version()
        except NotBigBlueButton:
            return _failed(f"The server at {where} answered, but it is not BigBlueButton.", "server_url")
        except Redirected as exc:
            return _failed(
                f"{where} redirects to {exc.location or 'another address'}; give the server URL "
                "the server answers at (often https:// instead of http://).",
                "server_url",
            )
        except Retriable as exc:
            return _failed(f"Could not reach {where}: {exc.reason}", "server_url")
        except NotFound:
            return _failed(f"Nothing answers at {where}; check the server URL.", "server_url")
        except (Invalid, AuthExpired) as exc:
            return _failed(exc.reason, "server_url")
        if not version.ok:
            return _failed(f"The server at {where} answered, but it is not BigBlueButton.", "server_url")
        try:
            await self._call("getMeetings", [])
        except ChecksumRefused:
            return await self._diagnose_checksum()
        except AuthExpired as exc:
            return _failed(exc.reason, "secret")
        except (Retriable, Invalid, NotFound) as exc:
            return _failed(exc.reason)
        release = version.text("bbbVersion")
        api = version.text("version", "?")
        label = f"BigBlueButton {release}" if release else f"BigBlueButton (API {api})"
        return CheckResult(True, ConnectionState.LINKED, "Connected.", account_label=label)

    async def _diagnose_checksum(self) -> CheckResult:
        """The secret or the algorithm is wrong: a checksum made with the algorithms every server
        accepts tells which."""
        chosen = self.settings.checksum_algorithm
        for other in (ChecksumAlgorithm.SHA256, ChecksumAlgorithm.SHA1):
            if other == chosen:
                continue
            probe = BigBlueButtonClient(
                self._http,
                self.settings.api_base,
                self.settings.secret.get_secret_value(),
                other,
                self._context.clock,
            )
            try:
                accepted = (await probe.call("getMeetings", [])).ok
            except (ProviderError, NotBigBlueButton):
                accepted = False
            if accepted:
                return _failed(
                    f"The shared secret is right, but this server does not accept {chosen.value} "
                    f"checksums (sha384 and sha512 need BigBlueButton 2.5 or later, and the server may "
                    f"limit them); choose {other.value}.",
                    "checksum_algorithm",
                )
        return _failed(
            "The server refused the checksum: the shared secret is wrong (on the server, "
            "`bbb-conf --secret` shows it).",
            "secret",
        )

    async def create_meeting(self, spec: MeetingSpec) -> MeetingRef:
        envelope = await self._call("create", mapping.create_params(spec, self._context.clock.now()))
        return MeetingRef(
            envelope.text("meetingID") or mapping.meeting_id(spec.session_key),
            {
                "createTime": envelope.text("createTime"),
                "internalMeetingID": envelope.text("internalMeetingID"),
            },
        )

    async def update_meeting(self, ref: MeetingRef, spec: MeetingSpec) -> MeetingRef:
        # BigBlueButton ignores new parameters for a meeting that exists; creating again keeps
        # the meeting in place (or brings back an expired one) and returns its createTime.
        return await self.create_meeting(spec)

    async def delete_meeting(self, ref: MeetingRef) -> None:
        try:
            await self._call("end", [("meetingID", ref.ref)])
        except NotFound:
            return

    async def end_meeting(self, ref: MeetingRef) -> None:
        await self.delete_meeting(ref)

    async def live_status(self, ref: MeetingRef) -> LiveStatus:
        try:
            envelope = await self._call("getMeetingInfo", [("meetingID", ref.ref)])
        except NotFound:
            return LiveStatus(exists=False, running=False)
        return mapping.live_status(envelope)

    async def fetch_attendance(self, ref: MeetingRef, spec: MeetingSpec) -> AttendanceFetch:
        return AttendanceFetch(
            ready=False,
            reason="BigBlueButton sends attendance by the analytics callback after the meeting.",
        )

    async def register(self, ref: MeetingRef, people: Sequence[Person]) -> list[Registration]:
        raise Unsupported("Registrants", INFO.unsupported["registrants"])

    def join_url(self, ref: MeetingRef, person: Person, role: LaunchRole) -> str:
        create_time = str(ref.data.get("createTime") or "") or None
        return self._client.url("join", mapping.join_params(ref.ref, create_time, person, role))

    async def host_url(self, ref: MeetingRef, person: Person) -> str:
        return self.join_url(ref, person, LaunchRole.HOST)
