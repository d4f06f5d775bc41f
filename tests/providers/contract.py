"""The provider contract (DESIGN, provider quality rule 1): one suite every adapter passes against
its simulator, over real HTTP through the ASGI transport.

A provider opts in with a subclass of :class:`ProviderContract` whose ``env`` fixture returns a
:class:`ContractEnv` pointing at its simulator. What a provider lacks is skipped, and the skip
says why, in the provider's own declared words (``ProviderInfo.unsupported``).

The steps follow a session's life: check → create (idempotent) → update → registrants → host and
learner launch → start → end → attendance → delete; then the error mapping every adapter owes
(401 → AuthExpired, 429 → RateLimited with the Retry-After delay, 5xx and timeouts → Retriable)
and the declaration of what is unsupported.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from vilt.clock import AdjustableClock
from vilt.core.attendance import ParticipantReport
from vilt.core.launch import LaunchRole
from vilt.core.sessions import EventKind
from vilt.providers.base import (
    CancelsRegistrations,
    Capability,
    ConnectionState,
    MeetingRef,
    MeetingSpec,
    Person,
    Provider,
    Registrant,
    Registration,
)
from vilt.providers.errors import AuthExpired, RateLimited, Retriable, Unsupported
from vilt.sandbox.control import Simulator

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STARTS = T0 + timedelta(hours=1)
HOST = Person(identity="i0123456789abcdef", name="Irene Host", email="irene@example.com")
LEARNER = Person(identity="v0123456789abcdef", name="Lea Learner", email="lea@example.com")
OTHER = Person(identity="v1111111111111111", name="Omar Other", email="omar@example.com")


@dataclass
class ContractEnv:
    """What the suite needs to know about one provider and its simulator."""

    sim: Simulator
    clock: AdjustableClock
    origin: str
    """Where the simulator answers (``http://zoom.sim``)."""
    make: Callable[..., Provider]
    """``make(wrong_credentials=False, timeout=5.0)`` → an adapter on the simulator."""
    wrong_credentials_field: str
    """The setting a check names when the credentials are wrong."""
    secret: str
    """The secret in the settings: it must never show in a reason."""
    api_prefix: str
    """Path prefix of the provider API calls (faults are injected there)."""
    enter: Callable[[MeetingRef, str, Person, LaunchRole], Awaitable[None]]
    """Someone opens their launch URL (a browser, or the simulator's join for shared URLs)."""
    leave_body: Callable[[Person], dict[str, Any]]
    """The ``/_sim/.../leave`` body that names this person."""
    callback_reports: Callable[[], Awaitable[list[ParticipantReport]]] | None = None
    """Providers that push attendance: the reports their callback delivered."""
    shared_join_url: str | None = None
    """Why host and learners get the same URL, when they do."""
    spec_extra: dict[str, Any] = field(default_factory=dict)

    def spec(self, **overrides: Any) -> MeetingSpec:
        values: dict[str, Any] = {
            "session_key": "0f3a9c5e",
            "title": "Onboarding for new staff",
            "kind": EventKind.MEETING,
            "starts_at": STARTS,
            "duration": timedelta(hours=1),
            "time_zone": "Europe/Berlin",
            "host": HOST,
            **self.spec_extra,
        }
        values.update(overrides)
        return MeetingSpec(**values)

    def control(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.sim.app), base_url=self.origin)

    async def meeting_states(self) -> dict[str, str]:
        async with self.control() as control:
            listed = (await control.get("/_sim/meetings")).json()["meetings"]
        return {str(m["id"]): str(m["state"]) for m in listed}

    async def fault(self, **body: Any) -> None:
        async with self.control() as control:
            answer = await control.post("/_sim/faults", json={"path_prefix": self.api_prefix, **body})
            assert answer.status_code == 200, answer.text

    async def leave(self, ref: MeetingRef, person: Person) -> None:
        async with self.control() as control:
            answer = await control.post(f"/_sim/meetings/{ref.ref}/leave", json=self.leave_body(person))
            assert answer.status_code == 200, answer.text

    async def end_on_provider(self, ref: MeetingRef) -> None:
        async with self.control() as control:
            answer = await control.post(f"/_sim/meetings/{ref.ref}/end")
            assert answer.status_code == 200, answer.text


def needs(provider: Provider, capability: Capability) -> None:
    info = provider.info
    if capability not in info.capabilities:
        pytest.skip(f"{info.title} does not support {capability.value}: {info.unsupported[capability.value]}")


def report_of(
    reports: list[ParticipantReport], person: Person, registration: Registration | None
) -> ParticipantReport:
    """The report for ``person``: by the identity bound at join, the registrant id, or the email."""
    keys = {person.identity} | ({registration.registrant_id} if registration else set())
    for report in reports:
        if report.bound_identity in keys:
            return report
    for report in reports:
        if report.email and person.email and report.email.lower() == person.email.lower():
            return report
    raise AssertionError(f"no report for {person.name} in {reports}")


class ProviderContract:
    """Subclass it with an ``env`` fixture; every test below then runs for that provider."""

    # -- helpers ----------------------------------------------------------------------------------
    @staticmethod
    async def launch_urls(
        env: ContractEnv, adapter: Provider, ref: MeetingRef
    ) -> tuple[str, str, Registration | None]:
        registration = None
        if adapter.info.supports(Capability.REGISTRANTS):
            [registration] = await adapter.register(ref, [LEARNER])
        calls = len(env.sim.calls)
        learner_url = (
            registration.join_url if registration else adapter.join_url(ref, LEARNER, LaunchRole.PARTICIPANT)
        )
        assert learner_url, "a learner's URL is prepared ahead or computed locally"
        assert len(env.sim.calls) == calls, "a learner's launch never calls the provider"
        host_url = adapter.join_url(ref, HOST, LaunchRole.HOST) or await adapter.host_url(ref, HOST)
        assert host_url
        if env.shared_join_url is None:
            assert host_url != learner_url, "a learner never gets the host's URL"
        return learner_url, host_url, registration

    @staticmethod
    async def attendance(
        env: ContractEnv, adapter: Provider, ref: MeetingRef, spec: MeetingSpec
    ) -> list[ParticipantReport]:
        if adapter.info.supports(Capability.ATTENDANCE_POLLING):
            for _ in range(13):  # polled every 5 minutes for an hour
                fetched = await adapter.fetch_attendance(ref, spec)
                if fetched.ready:
                    return list(fetched.reports)
                assert fetched.reason, "not ready says why"
                env.clock.advance(300)
            raise AssertionError("no attendance within an hour of the end")
        needs(adapter, Capability.ATTENDANCE_CALLBACK)
        assert env.callback_reports is not None
        return await env.callback_reports()

    # -- what is declared -------------------------------------------------------------------------
    def test_capabilities_and_concurrency_are_declared(self, env: ContractEnv) -> None:
        info = env.make().info
        assert info.concurrency >= 1
        assert info.supports_kind(EventKind.MEETING) or info.supports_kind(EventKind.WEBINAR)
        for capability in Capability:
            if capability not in info.capabilities:
                assert info.unsupported.get(capability.value), f"{capability} is missing without a reason"
        assert set(info.unsupported) <= {c.value for c in Capability}
        assert not set(info.unsupported) & {c.value for c in info.capabilities}

    async def test_what_is_unsupported_raises_unsupported_with_the_reason(self, env: ContractEnv) -> None:
        adapter = env.make()
        info = adapter.info
        ref = MeetingRef("never-created")
        calls: list[tuple[Capability, Callable[[], Awaitable[Any]]]] = [
            (Capability.REGISTRANTS, lambda: adapter.register(ref, [LEARNER])),
            (Capability.LIVE_STATUS, lambda: adapter.live_status(ref)),
            (Capability.END, lambda: adapter.end_meeting(ref)),
        ]
        lacking = [(c, call) for c, call in calls if c not in info.capabilities]
        if not lacking:
            pytest.skip(f"{info.title} supports registrants, live status and end")
        for capability, call in lacking:
            with pytest.raises(Unsupported) as caught:
                await call()
            assert caught.value.why == info.unsupported[capability.value]

    # -- check ------------------------------------------------------------------------------------
    async def test_check_succeeds_and_says_who(self, env: ContractEnv) -> None:
        result = await env.make().check()
        assert result.ok, result.reason
        assert result.state == ConnectionState.LINKED
        assert result.account_label

    async def test_check_with_wrong_credentials_names_the_setting(self, env: ContractEnv) -> None:
        result = await env.make(wrong_credentials=True).check()
        assert not result.ok
        assert result.state != ConnectionState.LINKED
        assert result.field == env.wrong_credentials_field
        assert result.reason
        assert env.secret not in result.reason

    # -- create, update, delete -------------------------------------------------------------------
    async def test_create_is_idempotent(self, env: ContractEnv) -> None:
        adapter = env.make()
        first = await adapter.create_meeting(env.spec())
        env.clock.advance(120)
        second = await adapter.create_meeting(env.spec())
        assert first.ref == second.ref
        assert list(await env.meeting_states()) == [first.ref]

    async def test_update_changes_the_meeting_in_place(self, env: ContractEnv) -> None:
        adapter = env.make()
        needs(adapter, Capability.UPDATE)
        ref = await adapter.create_meeting(env.spec())
        updated = await adapter.update_meeting(
            ref, env.spec(title="Renamed", starts_at=STARTS + timedelta(hours=2))
        )
        assert updated.ref == ref.ref
        async with env.control() as control:
            [listed] = (await control.get("/_sim/meetings")).json()["meetings"]
        assert listed["title"] == "Renamed"

    async def test_delete_removes_the_meeting_and_a_missing_one_is_fine(self, env: ContractEnv) -> None:
        adapter = env.make()
        ref = await adapter.create_meeting(env.spec())
        await adapter.delete_meeting(ref)
        assert (await env.meeting_states()).get(ref.ref) in (None, "ended", "deleted")
        await adapter.delete_meeting(ref)

    # -- registrants and launch -------------------------------------------------------------------
    async def test_registrants_get_personal_urls_and_registering_again_changes_nothing(
        self, env: ContractEnv
    ) -> None:
        adapter = env.make()
        needs(adapter, Capability.REGISTRANTS)
        ref = await adapter.create_meeting(env.spec())
        first = await adapter.register(ref, [LEARNER, OTHER])
        assert {r.identity for r in first} == {LEARNER.identity, OTHER.identity}
        assert len({r.join_url for r in first}) == 2
        again = await adapter.register(ref, [LEARNER])
        assert [(r.registrant_id, r.join_url) for r in again] == [
            (r.registrant_id, r.join_url) for r in first if r.identity == LEARNER.identity
        ]

    async def test_a_canceled_registration_admits_nobody_and_registering_again_makes_a_new_one(
        self, env: ContractEnv
    ) -> None:
        adapter = env.make()
        needs(adapter, Capability.REGISTRANTS)
        assert isinstance(adapter, CancelsRegistrations), "a provider with registrants cancels them too"
        ref = await adapter.create_meeting(env.spec())
        registered = {r.identity: r for r in await adapter.register(ref, [LEARNER, OTHER])}
        lea, omar = registered[LEARNER.identity], registered[OTHER.identity]
        leaving = [Registrant(lea.registrant_id, LEARNER.email)]
        assert await adapter.cancel_registrations(ref, leaving) == [lea.registrant_id]
        with pytest.raises(AssertionError):  # env.enter asserts the provider let the person in
            await env.enter(ref, lea.join_url, LEARNER, LaunchRole.PARTICIPANT)
        await env.enter(ref, omar.join_url, OTHER, LaunchRole.PARTICIPANT)
        [again] = await adapter.register(ref, [LEARNER])
        assert again.registrant_id != lea.registrant_id
        assert again.join_url != lea.join_url
        await adapter.delete_meeting(ref)
        # the meeting is gone, and its registrations with it: nothing is left to cancel
        assert await adapter.cancel_registrations(ref, [Registrant(again.registrant_id)]) == [
            again.registrant_id
        ]

    async def test_host_and_learner_launch_urls_are_accepted(self, env: ContractEnv) -> None:
        adapter = env.make()
        ref = await adapter.create_meeting(env.spec())
        learner_url, host_url, _ = await self.launch_urls(env, adapter, ref)
        env.clock.advance(3600 - 5 * 60)
        await env.enter(ref, host_url, HOST, LaunchRole.HOST)
        await env.enter(ref, learner_url, LEARNER, LaunchRole.PARTICIPANT)
        assert (await env.meeting_states())[ref.ref] == "running"

    async def test_start(self, env: ContractEnv) -> None:
        adapter = env.make()
        needs(adapter, Capability.START)

    async def test_live_status_shows_who_is_in(self, env: ContractEnv) -> None:
        adapter = env.make()
        needs(adapter, Capability.LIVE_STATUS)
        ref = await adapter.create_meeting(env.spec())
        learner_url, _, _ = await self.launch_urls(env, adapter, ref)
        env.clock.advance(3600)
        await env.enter(ref, learner_url, LEARNER, LaunchRole.PARTICIPANT)
        status = await adapter.live_status(ref)
        assert (status.exists, status.running) == (True, True)
        assert LEARNER.identity in {p.bound_identity for p in status.present}

    async def test_end_stops_the_meeting(self, env: ContractEnv) -> None:
        adapter = env.make()
        needs(adapter, Capability.END)
        ref = await adapter.create_meeting(env.spec())
        _, host_url, _ = await self.launch_urls(env, adapter, ref)
        env.clock.advance(3600)
        await env.enter(ref, host_url, HOST, LaunchRole.HOST)
        await adapter.end_meeting(ref)
        assert (await env.meeting_states()).get(ref.ref) != "running"
        await adapter.end_meeting(ref)  # already over: not an error

    # -- the whole life, with attendance ------------------------------------------------------------
    async def test_lifecycle_check_create_update_launch_end_attendance_delete(self, env: ContractEnv) -> None:
        adapter = env.make()
        info = adapter.info
        assert (await adapter.check()).ok
        spec = env.spec()
        ref = await adapter.create_meeting(spec)
        if info.supports(Capability.UPDATE):
            spec = env.spec(title="Onboarding, part one")
            ref = await adapter.update_meeting(ref, spec)
        learner_url, host_url, registration = await self.launch_urls(env, adapter, ref)
        env.clock.advance(3600 - 2 * 60)
        await env.enter(ref, host_url, HOST, LaunchRole.HOST)
        env.clock.advance(2 * 60)  # the learner comes at the start
        await env.enter(ref, learner_url, LEARNER, LaunchRole.PARTICIPANT)
        env.clock.advance(30 * 60)
        await env.leave(ref, LEARNER)
        env.clock.advance(10 * 60)
        if info.supports(Capability.END):
            await adapter.end_meeting(ref)
        else:
            await env.end_on_provider(ref)
        await env.sim.drain()
        reports = await self.attendance(env, adapter, ref, spec)
        learner = report_of(reports, LEARNER, registration)
        assert learner.total_seconds == 30 * 60
        assert [i.start for i in learner.intervals] == [STARTS]
        host = report_of(reports, HOST, None)
        assert host.total_seconds == 42 * 60
        await adapter.delete_meeting(ref)

    # -- errors -------------------------------------------------------------------------------------
    async def test_401_is_auth_expired(self, env: ContractEnv) -> None:
        adapter = env.make()
        await env.fault(status=401, count=10)
        with pytest.raises(AuthExpired):
            await adapter.create_meeting(env.spec())

    async def test_429_is_rate_limited_for_as_long_as_retry_after_says(self, env: ContractEnv) -> None:
        adapter = env.make()
        await env.fault(status=429, count=1, retry_after=30)
        with pytest.raises(RateLimited) as caught:
            await adapter.create_meeting(env.spec())
        assert caught.value.defer == timedelta(seconds=30)
        assert (await adapter.create_meeting(env.spec())).ref  # the next try goes through

    @pytest.mark.parametrize("status", [500, 502, 503])
    async def test_server_errors_are_retriable(self, env: ContractEnv, status: int) -> None:
        adapter = env.make()
        await env.fault(status=status, count=1)
        with pytest.raises(Retriable) as caught:
            await adapter.create_meeting(env.spec())
        assert not isinstance(caught.value, RateLimited)
        assert env.secret not in caught.value.reason
        assert (await adapter.create_meeting(env.spec())).ref

    async def test_a_timeout_is_retriable(self, env: ContractEnv) -> None:
        adapter = env.make(timeout=0.05)
        await env.fault(delay_ms=500, count=1)
        with pytest.raises(Retriable, match="did not answer in time"):
            await adapter.create_meeting(env.spec())
