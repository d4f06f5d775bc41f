"""A BigBlueButton server in memory: the checksum-verified XML API, meetings with their
lifecycle on the shared clock, and the end and analytics callbacks sent after a meeting.

It verifies checksums independently of the adapter (Scalelite's way: the algorithm chosen by
the digest's length, ``checksum=`` cut from the raw query string, a constant-time compare).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape
from typing import Any
from urllib.parse import parse_qsl, urlencode
from xml.etree.ElementTree import Element, SubElement, tostring

import jwt
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from vilt.clock import Clock
from vilt.sandbox.control import JoinRequest, SimError, Simulator
from vilt.sandbox.outbox import ClientFactory, SentCallback

_ALGORITHMS_BY_LENGTH = {40: "sha1", 64: "sha256", 96: "sha384", 128: "sha512"}
_POST_CALLS = {"create", "end", "isMeetingRunning", "getMeetingInfo", "getMeetings"}
_NEEDS_MEETING_ID = {"create", "join", "end", "isMeetingRunning", "getMeetingInfo"}
API_VERSION = "2.0"
BBB_VERSION = "3.0.4"


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="milliseconds")


def _ms(when: datetime | None) -> str:
    return "0" if when is None else str(int(when.timestamp() * 1000))


def _minutes(value: str | None, default: int) -> int:
    """An integer parameter the way bbb-web reads it: anything unreadable means the default."""
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


_CAMEL_BOUNDARY = re.compile(r"(?<=[A-Z])(?=[A-Z][a-z])|(?<=[a-z\d])(?=[A-Z])")


def _snake(key: str) -> str:
    """Rails' ``underscore``, which BigBlueButton's analytics script applies to every key."""
    if not re.search(r"[A-Z-]|::", key):
        return key
    return _CAMEL_BOUNDARY.sub("_", key.replace("::", "/")).replace("-", "_").lower()


def _snake_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {_snake(str(k)): _snake_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snake_keys(v) for v in value]
    return value


@dataclass
class Attendee:
    """One person, by external user id (bbb-events keeps one attendee per ext_user_id)."""

    internal_id: str
    ext_user_id: str
    name: str
    role: str
    email: str | None = None
    joins: list[datetime] = field(default_factory=list)
    leaves: list[datetime] = field(default_factory=list)
    session_ids: list[str] = field(default_factory=list)
    """The internal user id of each join: every ``join`` API call registers a new one, while a
    reconnect of the same client keeps it."""
    poll_votes: int = 0

    @property
    def present(self) -> bool:
        return len(self.joins) > len(self.leaves)


@dataclass
class Meeting:
    meeting_id: str
    internal_id: str
    name: str
    created_at: datetime
    attendee_pw: str
    moderator_pw: str
    duration_minutes: int
    expire_if_no_join: timedelta
    expire_when_last_left: timedelta
    keep_events: bool
    metadata: dict[str, str]
    voice_bridge: str
    started_at: datetime | None = None
    ended_at: datetime | None = None
    last_left_at: datetime | None = None
    attendees: dict[str, Attendee] = field(default_factory=dict)
    polls: list[dict[str, Any]] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.ended_at is None and any(a.present for a in self.attendees.values())

    @property
    def create_time(self) -> str:
        return _ms(self.created_at)

    def attendee(self, *, email: str | None = None, user_id: str | None = None) -> Attendee:
        for candidate in self.attendees.values():
            if (user_id and candidate.ext_user_id == user_id) or (
                email and candidate.email and candidate.email.lower() == email.lower()
            ):
                return candidate
        raise SimError(404, "Nobody with that email or user_id is in this meeting.")


def _response(returncode: str = "SUCCESS", **fields: Any) -> Element:
    root = Element("response")
    SubElement(root, "returncode").text = returncode
    for key, value in fields.items():
        if isinstance(value, Element):
            root.append(value)
        else:
            SubElement(root, key).text = "" if value is None else str(value)
    return root


def _failed(key: str, message: str) -> Element:
    return _response("FAILED", messageKey=key, message=message)


def _xml(root: Element) -> Response:
    # BigBlueButton answers HTTP 200 even when the call FAILED
    return Response(tostring(root, encoding="unicode"), media_type="text/xml")


class BigBlueButtonSimulator(Simulator):
    kind = "bigbluebutton"
    exempt_from_faults = ("/_sim", "/client")

    def __init__(
        self,
        clock: Clock,
        *,
        secret: str = "sim-shared-secret",  # noqa: S107 - a simulator's own secret
        public_base: str = "http://bbb.sim",
        outbound: ClientFactory | None = None,
        algorithms: Sequence[str] = ("sha1", "sha256", "sha384", "sha512"),
    ) -> None:
        self.secret = secret
        self.algorithms = set(algorithms)
        self.live: dict[str, Meeting] = {}
        self.ended: dict[str, Meeting] = {}
        self._sessions: dict[str, tuple[str, str]] = {}
        super().__init__(clock, public_base=public_base, outbound=outbound)

    def api_routes(self) -> Sequence[BaseRoute]:
        return [
            Route("/bigbluebutton/api", self._root, methods=["GET"]),
            Route("/bigbluebutton/api/", self._root, methods=["GET"]),
            Route("/bigbluebutton/api/{call}", self._api, methods=["GET", "POST"]),
            Route("/client/BigBlueButton.html", self._client_page, methods=["GET"]),
        ]

    def integration_settings(self) -> dict[str, str]:
        return {"server_url": f"{self.public_base}/bigbluebutton/", "secret": self.secret}

    def reset(self) -> None:
        super().reset()
        self.live.clear()
        self.ended.clear()

    # -- checksum -----------------------------------------------------------------------------
    def _checksum_ok(self, call: str, raw_query: str) -> bool:
        parts = raw_query.split("&") if raw_query else []
        given = [p[len("checksum=") :] for p in parts if p.startswith("checksum=")]
        if len(given) != 1:
            return False
        algorithm = _ALGORITHMS_BY_LENGTH.get(len(given[0]))
        if algorithm is None or algorithm not in self.algorithms:
            return False
        signed = "&".join(p for p in parts if not p.startswith("checksum="))
        expected = hashlib.new(algorithm, f"{call}{signed}{self.secret}".encode()).hexdigest()
        return hmac.compare_digest(expected, given[0].lower())

    # -- API ----------------------------------------------------------------------------------
    async def _root(self, request: Request) -> Response:
        self.calls.append((request.method, "/bigbluebutton/api"))
        return _xml(_response(version=API_VERSION, apiVersion=API_VERSION, bbbVersion=BBB_VERSION))

    async def _api(self, request: Request) -> Response:
        call = request.path_params["call"]
        self.calls.append((request.method, f"/bigbluebutton/api/{call}"))
        self.reconcile(self.clock.now())
        raw_query = request.scope.get("query_string", b"").decode("latin-1")
        if not self._checksum_ok(call, raw_query):
            return _xml(_failed("checksumError", "You did not pass the checksum security check"))
        params = dict(parse_qsl(raw_query, keep_blank_values=True))
        params.pop("checksum", None)
        if request.method == "POST":
            if call not in _POST_CALLS:
                return _xml(_failed("unsupportedRequest", f"{call} accepts GET only."))
            form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
            if set(form) & set(params):
                return _xml(_failed("checksumError", "A parameter was given in the URL and the body."))
            params.update(form)
        if call in _NEEDS_MEETING_ID and not params.get("meetingID"):
            return _xml(_failed("missingParamMeetingID", "You must specify a meeting ID for the meeting."))
        handler = {
            "create": self._create,
            "join": self._join_call,
            "end": self._end_call,
            "isMeetingRunning": self._is_running,
            "getMeetingInfo": self._info,
            "getMeetings": self._list_meetings,
            "getRecordings": self._recordings,
        }.get(call)
        if handler is None:
            return _xml(_failed("unsupportedRequest", "This request is not supported."))
        return handler(params)

    def _create(self, params: dict[str, str]) -> Response:
        meeting_id = params.get("meetingID", "")
        name = params.get("name", "")
        if not meeting_id:
            return _xml(_failed("missingParamMeetingID", "You must specify a meeting ID for the meeting."))
        if not 2 <= len(meeting_id) <= 256 or "," in meeting_id:
            return _xml(
                _failed("invalidMeetingIdentifier", "Meeting ID must be 2 to 256 characters without commas.")
            )
        if not name:
            return _xml(_failed("missingParamName", "You must specify a name for the meeting."))
        existing = self.live.get(meeting_id)
        if existing is not None:
            attendee_pw, moderator_pw = params.get("attendeePW"), params.get("moderatorPW")
            same = attendee_pw == existing.attendee_pw and moderator_pw == existing.moderator_pw
            if not same and (attendee_pw or moderator_pw):
                # bbb-web: a repeat is a duplicate only with the same passwords, or with none
                return _xml(
                    _failed(
                        "idNotUnique",
                        "A meeting already exists with that meeting ID.  Please use a different meeting ID.",
                    )
                )
            return _xml(
                self._meeting_fields(
                    existing,
                    messageKey="duplicateWarning",
                    message="This conference was already in existence and may currently be in progress.",
                )
            )
        now = self.clock.now()
        meeting = Meeting(
            meeting_id=meeting_id,
            internal_id=f"{hashlib.sha1(meeting_id.encode()).hexdigest()}-{_ms(now)}",  # noqa: S324
            name=name,
            created_at=now,
            attendee_pw=params.get("attendeePW") or secrets.token_hex(4),
            moderator_pw=params.get("moderatorPW") or secrets.token_hex(4),
            duration_minutes=max(0, _minutes(params.get("duration"), 0)),
            expire_if_no_join=timedelta(
                minutes=_minutes(params.get("meetingExpireIfNoUserJoinedInMinutes"), 5)
            ),
            expire_when_last_left=timedelta(
                minutes=_minutes(params.get("meetingExpireWhenLastUserLeftInMinutes"), 1)
            ),
            keep_events=params.get("meetingKeepEvents") == "true",
            metadata={k[5:].lower(): v for k, v in params.items() if k.startswith("meta_")},
            voice_bridge=str(70000 + secrets.randbelow(9999)),
        )
        self.live[meeting_id] = meeting
        return _xml(self._meeting_fields(meeting))

    def _meeting_fields(self, meeting: Meeting, **extra: str) -> Element:
        return _response(
            meetingID=meeting.meeting_id,
            internalMeetingID=meeting.internal_id,
            parentMeetingID="bbb-none",
            attendeePW=meeting.attendee_pw,
            moderatorPW=meeting.moderator_pw,
            createTime=meeting.create_time,
            voiceBridge=meeting.voice_bridge,
            dialNumber="613-555-1234",
            createDate=meeting.created_at.strftime("%a %b %d %H:%M:%S %Z %Y"),
            hasUserJoined=str(bool(meeting.attendees)).lower(),
            duration=meeting.duration_minutes,
            hasBeenForciblyEnded="false",
            **extra,
        )

    def _join_call(self, params: dict[str, str]) -> Response:
        meeting = self.live.get(params.get("meetingID", ""))
        full_name = params.get("fullName", "")
        if not full_name:
            return _xml(_failed("missingParamFullName", "You must specify a name for the attendee."))
        if meeting is None:
            return _xml(
                _failed(
                    "invalidMeetingIdentifier",
                    "The meeting ID that you supplied did not match any existing meetings",
                )
            )
        role = params.get("role", "").upper()
        if role not in ("MODERATOR", "VIEWER"):
            password = params.get("password")
            if password == meeting.moderator_pw:
                role = "MODERATOR"
            elif password == meeting.attendee_pw:
                role = "VIEWER"
            else:
                return _xml(
                    _failed(
                        "invalidPassword",
                        "You either did not supply a password or the password supplied is "
                        "neither the attendee or moderator password for this conference.",
                    )
                )
        create_time = params.get("createTime")
        if create_time and create_time != meeting.create_time:
            return _xml(
                _failed(
                    "mismatchCreateTimeParam",
                    "The createTime parameter submitted mismatches with the current meeting.",
                )
            )
        # every join call registers a new user (a new internal id and session token)
        attendee = self._enter(meeting, params.get("userID"), full_name, role, None, new_session=True)
        session_token = secrets.token_hex(8)
        url = f"{self.public_base}/client/BigBlueButton.html?sessionToken={session_token}"
        self._sessions[session_token] = (meeting.meeting_id, attendee.internal_id)
        if params.get("redirect", "true") == "false":
            return _xml(
                _response(
                    messageKey="successfullyJoined",
                    message="You have joined successfully.",
                    meeting_id=meeting.internal_id,
                    user_id=attendee.session_ids[-1],
                    auth_token=secrets.token_hex(6),
                    session_token=session_token,
                    guestStatus="ALLOW",
                    url=url,
                )
            )
        return RedirectResponse(url, status_code=302)

    async def _client_page(self, request: Request) -> Response:
        token = request.query_params.get("sessionToken", "")
        found = self._sessions.get(token)
        if found is None:
            return HTMLResponse("<h1>Session expired</h1>", status_code=404)
        meeting = self.live.get(found[0]) or self.ended.get(found[0])
        attendee = meeting.attendees.get(found[1]) if meeting else None
        if meeting is None or attendee is None:
            return HTMLResponse("<h1>Meeting not found</h1>", status_code=404)
        name = escape(meeting.name)
        return HTMLResponse(
            f"<!doctype html><title>{name}</title><h1>{name}</h1>"
            f"<p>Simulated BigBlueButton room. You are <b>{escape(attendee.name)}</b> "
            f"({escape(attendee.role)}).</p>"
        )

    def _enter(
        self,
        meeting: Meeting,
        user_id: str | None,
        name: str,
        role: str,
        email: str | None,
        *,
        new_session: bool,
    ) -> Attendee:
        now = self.clock.now()
        attendee = next((a for a in meeting.attendees.values() if user_id and a.ext_user_id == user_id), None)
        if attendee is None:
            internal = f"w_{secrets.token_hex(6)}"
            attendee = Attendee(internal, user_id or internal, name, role, email)
            meeting.attendees[internal] = attendee
        if email and not attendee.email:
            attendee.email = email
        if not attendee.present:
            attendee.joins.append(now)
            if not attendee.session_ids:
                attendee.session_ids.append(attendee.internal_id)
            elif new_session:
                attendee.session_ids.append(f"w_{secrets.token_hex(6)}")
            else:
                attendee.session_ids.append(attendee.session_ids[-1])
        if meeting.started_at is None:
            meeting.started_at = now
        meeting.last_left_at = None
        return attendee

    def _end_call(self, params: dict[str, str]) -> Response:
        meeting = self.live.get(params.get("meetingID", ""))
        if meeting is None:
            return _xml(
                _failed(
                    "notFound",
                    "We could not find a meeting with that meeting ID - "
                    "perhaps the meeting is not yet running?",
                )
            )
        self._finish(meeting, self.clock.now())
        return _xml(
            _response(
                messageKey="sentEndMeetingRequest",
                message="A request to end the meeting was sent. Please wait a few seconds, "
                "and then use the getMeetingInfo or isMeetingRunning API calls to "
                "verify that it was ended.",
            )
        )

    def _is_running(self, params: dict[str, str]) -> Response:
        meeting = self.live.get(params.get("meetingID", ""))
        return _xml(_response(running=str(bool(meeting and meeting.running)).lower()))

    def _info(self, params: dict[str, str]) -> Response:
        meeting = self.live.get(params.get("meetingID", ""))
        if meeting is None:
            return _xml(_failed("notFound", "We could not find a meeting with that meeting ID"))
        return _xml(self._info_element(meeting))

    def _info_element(self, meeting: Meeting, root: Element | None = None) -> Element:
        node = root if root is not None else _response()
        present = [a for a in meeting.attendees.values() if a.present]
        for key, value in {
            "meetingName": meeting.name,
            "meetingID": meeting.meeting_id,
            "internalMeetingID": meeting.internal_id,
            "createTime": meeting.create_time,
            "voiceBridge": meeting.voice_bridge,
            "attendeePW": meeting.attendee_pw,
            "moderatorPW": meeting.moderator_pw,
            "running": str(meeting.running).lower(),
            "duration": meeting.duration_minutes,
            "hasUserJoined": str(bool(meeting.attendees)).lower(),
            "startTime": _ms(meeting.started_at),
            # bbb-web marks the end when the last user leaves, and clears it when someone comes back
            "endTime": _ms(meeting.ended_at or (None if meeting.running else meeting.last_left_at)),
            "participantCount": len(present),
            "moderatorCount": sum(1 for a in present if a.role == "MODERATOR"),
            "isBreakout": "false",
        }.items():
            SubElement(node, key).text = str(value)
        attendees = SubElement(node, "attendees")
        for attendee in present:
            item = SubElement(attendees, "attendee")
            for key, value in {
                "userID": attendee.ext_user_id,
                "fullName": attendee.name,
                "role": attendee.role,
                "isPresenter": str(attendee.role == "MODERATOR").lower(),
                "hasJoinedVoice": "false",
                "hasVideo": "false",
                "clientType": "HTML5",
            }.items():
                SubElement(item, key).text = value
        metadata = SubElement(node, "metadata")
        for key, value in meeting.metadata.items():
            SubElement(metadata, key).text = value
        return node

    def _list_meetings(self, params: dict[str, str]) -> Response:
        root = _response()
        if not self.live:
            SubElement(root, "messageKey").text = "noMeetings"
            SubElement(root, "message").text = "no meetings were found on this server"
        container = SubElement(root, "meetings")
        for meeting in self.live.values():
            self._info_element(meeting, SubElement(container, "meeting"))
        return _xml(root)

    def _recordings(self, params: dict[str, str]) -> Response:
        root = _response(messageKey="noRecordings", message="There are no recordings for the meeting(s).")
        SubElement(root, "recordings")
        return _xml(root)

    # -- lifecycle ----------------------------------------------------------------------------
    def reconcile(self, now: datetime) -> None:
        """End what time alone ends, at the instant it ended (akka-apps' MeetingExpiryTracker:
        never joined within meetingExpireIfNoUserJoinedInMinutes of create; over ``duration``
        counted from create; meetingExpireWhenLastUserLeftInMinutes after the last one left)."""
        for meeting in list(self.live.values()):
            due = self._expires_at(meeting)
            if due is not None and now > due:  # akka-apps compares strictly
                self._finish(meeting, due)

    @staticmethod
    def _expires_at(meeting: Meeting) -> datetime | None:
        candidates = []
        if not meeting.attendees:
            candidates.append(meeting.created_at + meeting.expire_if_no_join)
        if meeting.duration_minutes:
            candidates.append(meeting.created_at + timedelta(minutes=meeting.duration_minutes))
        if meeting.attendees and not meeting.running and meeting.last_left_at is not None:
            candidates.append(meeting.last_left_at + meeting.expire_when_last_left)
        return min(candidates, default=None)

    def _finish(self, meeting: Meeting, when: datetime) -> None:
        for attendee in meeting.attendees.values():
            if attendee.present:
                attendee.leaves.append(when)
        meeting.ended_at = when
        self.live.pop(meeting.meeting_id, None)
        self.ended[meeting.meeting_id] = meeting
        end_url = meeting.metadata.get("endcallbackurl")
        if end_url:
            # bbb-web calls it on every end (expiry included) with both parameters appended
            separator = "&" if "?" in end_url else "?"
            query = urlencode({"recordingmarks": "false", "meetingID": meeting.meeting_id})
            self.outbox.enqueue(SentCallback("end", "GET", f"{end_url}{separator}{query}", when))
        analytics_url = meeting.metadata.get("analytics-callback-url")
        if analytics_url and meeting.keep_events and meeting.attendees:
            self._send_analytics(meeting, analytics_url, when)

    def analytics_payload(self, meeting: Meeting) -> dict[str, Any]:
        """What post_events_analytics_callback.rb sends: bbb-events' data for the meeting, internal
        user ids and ``gl_*`` / ``meeting_id`` metadata removed, every key snake_cased."""
        assert meeting.ended_at is not None
        start = meeting.created_at  # bbb-events: the timestamp in the internal meeting id
        attendees = []
        for attendee in meeting.attendees.values():
            pairs = list(zip(attendee.joins, attendee.leaves, attendee.session_ids, strict=False))
            sessions: dict[str, dict[str, list[dict[str, str]]]] = {}
            for joined, left, internal in pairs:
                session = sessions.setdefault(internal, {"joins": [], "lefts": []})
                session["joins"].append(
                    {
                        "timestamp": _iso(joined),
                        "userid": internal,
                        "ext_userid": attendee.ext_user_id,
                        "event": "join",
                    }
                )
                session["lefts"].append(
                    {
                        "timestamp": _iso(left),
                        "userid": internal,
                        "ext_userid": attendee.ext_user_id,
                        "event": "left",
                    }
                )
            attendees.append(
                {
                    "ext_user_id": attendee.ext_user_id,
                    "name": attendee.name,
                    "moderator": attendee.role == "MODERATOR",
                    "joins": [_iso(t) for t in attendee.joins],
                    "leaves": [_iso(t) for t in attendee.leaves],
                    "duration": int(sum((left - joined).total_seconds() for joined, left, _ in pairs)),
                    "recent_talking_time": "",
                    "engagement": {
                        "chats": 0,
                        "talks": 0,
                        "raisehand": 0,
                        "emojis": 0,
                        "poll_votes": attendee.poll_votes,
                        "talk_time": 0,
                    },
                    "sessions": list(sessions.values()),
                }
            )
        metadata = {
            k: v for k, v in meeting.metadata.items() if not k.startswith("gl_") and k != "meeting_id"
        }
        payload = {
            "version": "1.0",
            "meeting_id": meeting.meeting_id,
            "internal_meeting_id": meeting.internal_id,
            "data": {
                "metadata": metadata,
                "duration": int((meeting.ended_at - start).total_seconds()),
                "start": _iso(start),
                "finish": _iso(meeting.ended_at),
                "attendees": attendees,
                "files": [],
                "polls": meeting.polls,
            },
        }
        result: dict[str, Any] = _snake_keys(payload)
        return result

    def _send_analytics(self, meeting: Meeting, url: str, when: datetime) -> None:
        # signed when sent (which may be long after ``when`` if the end was noticed late)
        expires = self.clock.now() + timedelta(hours=24)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*HMAC key.*")  # the secret's length is the admin's
            token = jwt.encode({"exp": int(expires.timestamp())}, self.secret, algorithm="HS512")
        body = json.dumps(self.analytics_payload(meeting)).encode()
        self.outbox.enqueue(
            SentCallback("analytics", "POST", url, when, body=body),
            {
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "User-Agent": "BigBlueButton Analytics Callback",
            },
            body,
        )

    # -- control API --------------------------------------------------------------------------
    def _meeting(self, meeting_id: str) -> Meeting:
        meeting = self.live.get(meeting_id)
        if meeting is None:
            raise SimError(404, f"No running or created meeting '{meeting_id}'.")
        return meeting

    def meetings(self) -> list[dict[str, Any]]:
        result = []
        for state, store in (("live", self.live), ("ended", self.ended)):
            for meeting in store.values():
                result.append(
                    {
                        "id": meeting.meeting_id,
                        "name": meeting.name,
                        "state": "running" if meeting.running else state if state == "ended" else "created",
                        "create_time": meeting.create_time,
                        "metadata": meeting.metadata,
                        "participants": [
                            {
                                "user_id": a.ext_user_id,
                                "name": a.name,
                                "role": a.role,
                                "email": a.email,
                                "present": a.present,
                                "joins": len(a.joins),
                            }
                            for a in meeting.attendees.values()
                        ],
                    }
                )
        return result

    def join(self, meeting_id: str, request: JoinRequest) -> dict[str, Any]:
        meeting = self._meeting(meeting_id)
        role = "MODERATOR" if request.role.lower() in ("moderator", "host", "presenter") else "VIEWER"
        # a participant (re)connecting with the client they already have: same internal user id
        attendee = self._enter(meeting, request.user_id, request.name, role, request.email, new_session=False)
        return {"user_id": attendee.ext_user_id, "joined_at": _iso(attendee.joins[-1])}

    def leave(self, meeting_id: str, email: str | None, user_id: str | None) -> dict[str, Any]:
        meeting = self._meeting(meeting_id)
        attendee = meeting.attendee(email=email, user_id=user_id)
        now = self.clock.now()
        if attendee.present:
            attendee.leaves.append(now)
        if not meeting.running:
            meeting.last_left_at = now
        return {"user_id": attendee.ext_user_id, "left_at": _iso(now)}

    def answer_polls(
        self, meeting_id: str, email: str | None, user_id: str | None, answered: int, asked: int
    ) -> dict[str, Any]:
        meeting = self._meeting(meeting_id)
        attendee = meeting.attendee(email=email, user_id=user_id)
        now = self.clock.now()
        while len(meeting.polls) < asked:
            number = len(meeting.polls) + 1
            meeting.polls.append(
                {
                    "id": f"poll-{number}",
                    "type": "YN",
                    "question": f"Question {number}",
                    "published": True,
                    "options": ["Yes", "No"],
                    "start": _iso(now),
                    "votes": {},
                }
            )
        for index, poll in enumerate(meeting.polls):
            if index < answered:
                poll["votes"][attendee.ext_user_id] = "Yes"
            else:
                poll["votes"].pop(attendee.ext_user_id, None)
        attendee.poll_votes = answered
        return {"user_id": attendee.ext_user_id, "answered": answered, "asked": len(meeting.polls)}

    def end(self, meeting_id: str) -> dict[str, Any]:
        meeting = self._meeting(meeting_id)
        self._finish(meeting, self.clock.now())
        return {"id": meeting_id, "ended_at": _iso(self.clock.now())}
