"""Demo data for ``vilt demo``: an account, people, BigBlueButton, Zoom and Microsoft Teams
integrations on the in-process simulators, and an event with a session on each that starts soon."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from vilt.runtime import Runtime
from vilt.sandbox.bigbluebutton import BigBlueButtonSimulator
from vilt.sandbox.teams import TeamsSimulator
from vilt.sandbox.zoom import ZoomSimulator
from vilt.services import accounts, enrollments, events, integrations, passwords, sessions, users
from vilt.services.context import SYSTEM
from vilt.services.events import EventInput
from vilt.services.integrations import IntegrationInput
from vilt.services.sessions import SessionInput
from vilt.services.users import UserInput
from vilt.storage.models import Integration

LEARNERS = [
    ("Maria Garcia", "maria@demo.vilt.test", "Europe/Madrid"),
    ("Ivan Petrov", "ivan@demo.vilt.test", "Europe/Moscow"),
    ("Aiko Tanaka", "aiko@demo.vilt.test", "Asia/Tokyo"),
    ("Sam Okafor", "sam@demo.vilt.test", "Africa/Lagos"),
]
DEMO_PASSWORD = "vilt-demo"  # noqa: S105 (printed by the demo on purpose)
"""Every demo person signs in to the pages with it (it is a demo: the data is thrown away)."""


@dataclass(frozen=True)
class DemoData:
    api_key: str
    account_id: uuid.UUID
    admin_id: uuid.UUID
    instructor_id: uuid.UUID
    learners: list[tuple[uuid.UUID, str]]
    integration_id: uuid.UUID
    event_id: uuid.UUID
    session_id: uuid.UUID
    meeting_id: str | None
    starts_at: datetime
    zoom_session_id: uuid.UUID | None = None
    zoom_meeting_id: str | None = None
    teams_session_id: uuid.UUID | None = None
    teams_meeting_id: str | None = None


async def seed_demo(runtime: Runtime) -> DemoData:
    ctx = runtime.ctx
    simulator = runtime.simulators["bigbluebutton"]
    assert isinstance(simulator, BigBlueButtonSimulator)
    now = ctx.clock.now()
    starts_at = (now + timedelta(minutes=20)).replace(second=0, microsecond=0)
    async with runtime.db.transaction() as tx:
        account = await accounts.create_account(ctx, tx, "Demo Academy")
        issued = await accounts.issue_api_key(ctx, tx, account.id, "demo")
        admin = await users.create(
            ctx,
            tx,
            account.id,
            UserInput(
                email="admin@demo.vilt.test", display_name="Alex Admin", roles=["admin"], time_zone="UTC"
            ),
            SYSTEM,
        )
        instructor = await users.create(
            ctx,
            tx,
            account.id,
            UserInput(
                email="irene@demo.vilt.test",
                display_name="Irene Instructor",
                roles=["instructor"],
                time_zone="Europe/Berlin",
            ),
            SYSTEM,
        )
        learners = []
        for name, email, zone in LEARNERS:
            learner = await users.create(
                ctx,
                tx,
                account.id,
                UserInput(email=email, display_name=name, roles=["learner"], time_zone=zone),
                SYSTEM,
            )
            learners.append((learner.id, name))
        for person_id in (admin.id, instructor.id, *(learner_id for learner_id, _ in learners)):
            await passwords.set_password(ctx, tx, account.id, person_id, DEMO_PASSWORD, SYSTEM)
        integration = await integrations.create(
            ctx,
            tx,
            account.id,
            IntegrationInput(
                kind="bigbluebutton",
                name="BigBlueButton (simulated)",
                settings={
                    "server_url": f"{ctx.base_url}/sandbox/bigbluebutton/bigbluebutton/",
                    "secret": simulator.secret,
                    "checksum_algorithm": "sha256",
                },
                description="The demo's BigBlueButton: a simulator inside this process.",
            ),
            SYSTEM,
        )
        event = await events.create(
            ctx,
            tx,
            account.id,
            EventInput(
                title="Getting started with Vilt",
                kind="webinar",
                trainer="Irene Instructor",
                capacity=3,
                description="A live walk-through of scheduling, launching and rosters.",
                completion_rule={"kind": "min_percent", "value": 50},
            ),
            SYSTEM,
        )
        session = await sessions.create(
            ctx,
            tx,
            event,
            SessionInput(
                starts_at=starts_at,
                time_zone="Europe/Berlin",
                duration_minutes=60,
                integration_id=integration.id,
                instructor_ids=[instructor.id],
            ),
            SYSTEM,
        )
        for learner_id, _ in learners:  # capacity 3: the fourth learner waits
            await enrollments.enroll(ctx, tx, session, learner_id, SYSTEM)
    await runtime.worker.run_now(session.id)
    async with runtime.db.reading() as tx:
        pushed = await sessions.get(tx, account.id, session.id)
    zoom_session, zoom_meeting = await _seed_zoom(runtime, account.id, instructor.id, learners, starts_at)
    teams_session, teams_meeting = await _seed_teams(runtime, account.id, instructor.id, learners, starts_at)
    return DemoData(
        issued.token,
        account.id,
        admin.id,
        instructor.id,
        learners,
        integration.id,
        event.id,
        session.id,
        pushed.provider_ref,
        starts_at,
        zoom_session,
        zoom_meeting,
        teams_session,
        teams_meeting,
    )


async def _session_on(
    runtime: Runtime,
    account_id: uuid.UUID,
    integration_id: uuid.UUID,
    instructor_id: uuid.UUID,
    learners: list[tuple[uuid.UUID, str]],
    starts_at: datetime,
    title: str,
    kind: str,
) -> tuple[uuid.UUID, str | None]:
    ctx = runtime.ctx
    async with runtime.db.transaction() as tx:
        event = await events.create(ctx, tx, account_id, EventInput(title=title, kind=kind), SYSTEM)
        session = await sessions.create(
            ctx,
            tx,
            event,
            SessionInput(
                starts_at=starts_at,
                time_zone="Europe/Berlin",
                duration_minutes=60,
                integration_id=integration_id,
                instructor_ids=[instructor_id],
            ),
            SYSTEM,
        )
        for learner_id, _ in learners:
            await enrollments.enroll(ctx, tx, session, learner_id, SYSTEM)
    await runtime.worker.run_now(session.id)  # creates the meeting and registers the learners
    async with runtime.db.reading() as tx:
        pushed = await sessions.get(tx, account_id, session.id)
    return session.id, pushed.provider_ref


async def _simulated_integration(
    runtime: Runtime, account_id: uuid.UUID, data: IntegrationInput
) -> Integration:
    async with runtime.db.transaction() as tx:
        return await integrations.create(runtime.ctx, tx, account_id, data, SYSTEM)


async def _seed_zoom(
    runtime: Runtime,
    account_id: uuid.UUID,
    instructor_id: uuid.UUID,
    learners: list[tuple[uuid.UUID, str]],
    starts_at: datetime,
) -> tuple[uuid.UUID, str | None]:
    simulator = runtime.simulators["zoom"]
    assert isinstance(simulator, ZoomSimulator)
    simulator.state.add_user("irene@demo.vilt.test", "Irene Instructor")
    integration = await _simulated_integration(
        runtime,
        account_id,
        IntegrationInput(
            kind="zoom",
            name="Zoom (simulated)",
            settings={**simulator.integration_settings(), "plan": "business"},
            description="The demo's Zoom account: a simulator inside this process.",
        ),
    )
    # the Zoom app's event subscription points at this integration's webhook URL (Zoom validates it)
    await simulator.subscribe(runtime.ctx.url(f"/api/v1/webhooks/zoom/{integration.id}"))
    return await _session_on(
        runtime,
        account_id,
        integration.id,
        instructor_id,
        learners[:3],
        starts_at,
        "Zoom webinar: Q&A",
        "webinar",
    )


async def _seed_teams(
    runtime: Runtime,
    account_id: uuid.UUID,
    instructor_id: uuid.UUID,
    learners: list[tuple[uuid.UUID, str]],
    starts_at: datetime,
) -> tuple[uuid.UUID, str | None]:
    simulator = runtime.simulators["teams"]
    assert isinstance(simulator, TeamsSimulator)
    simulator.state.add_user("irene@demo.vilt.test", "Irene Instructor")
    integration = await _simulated_integration(
        runtime,
        account_id,
        IntegrationInput(
            kind="teams",
            name="Microsoft Teams (simulated)",
            settings={**simulator.integration_settings(), "auth_mode": "application"},
            description="The demo's Microsoft 365 tenant: a simulator inside this process.",
        ),
    )
    return await _session_on(
        runtime,
        account_id,
        integration.id,
        instructor_id,
        learners[:2],
        starts_at,
        "Teams: retrospective",
        "meeting",
    )


def tour_text(base_url: str, data: DemoData) -> str:
    first_learner = data.learners[0][0]
    second_learner = data.learners[1][0]
    auth = '-H "Authorization: Bearer $KEY" -H "Content-Type: application/json"'
    return f"""
Vilt demo is running at {base_url}
  API docs:  {base_url}/docs
  API key: {data.api_key}

Sign in to the pages at {base_url}/signin (password for everyone: {DEMO_PASSWORD}):
  administrator  admin@demo.vilt.test
  instructor     irene@demo.vilt.test
  learner        {LEARNERS[0][1]}  (and the other learners: {", ".join(e for _, e, _ in LEARNERS[1:])})
  What to click: as the administrator, Integrations (press Check; a Teams integration in
  delegated mode shows "Sign in to Microsoft"), People, Webhooks and Deliveries; as Irene,
  Events -> the session -> Roster; as a learner, My sessions (Launch opens 15 minutes before
  the start; .ics and a calendar address).
  Set the language under Settings (English, Russian).

Demo account "Demo Academy": an admin, an instructor (Irene) and four learners; BigBlueButton,
Zoom and Microsoft Teams integrations on the built-in simulators; the event "Getting started with
Vilt" (capacity 3, completed at 50% presence) with a BigBlueButton session starting at
{data.starts_at.isoformat()} (in 20 minutes): three learners are registered, the fourth is
waitlisted. A Zoom and a Teams session start at the same time (see the end).

Try it (copy into another terminal):
  export VILT={base_url} KEY={data.api_key}
  export S={data.session_id} L1={first_learner} L2={second_learner} I={data.instructor_id}

  # 1. The session, its provider meeting ({data.meeting_id}) and enrollments
  curl -s $VILT/api/v1/sessions/$S {auth}
  # 2. A learner launches too early: 409 with opens_at (15 minutes before the start)
  curl -s -X POST $VILT/api/v1/sessions/$S/launch {auth} -d '{{"user_id":"'$L1'"}}'
  # 3. Move the sandbox clock 10 minutes on, and launch again: a BigBlueButton VIEWER join URL
  curl -s -X POST $VILT/api/v1/sandbox/clock {auth} -d '{{"advance_seconds":600}}'
  curl -s -X POST $VILT/api/v1/sessions/$S/launch {auth} -d '{{"user_id":"'$L1'"}}'
  #    Open that URL in a browser: the simulated room. The instructor gets a MODERATOR URL:
  curl -s -X POST $VILT/api/v1/sessions/$S/launch {auth} -d '{{"user_id":"'$I'"}}'
  # 4. Let the session run for 45 minutes, then end it
  curl -s -X POST $VILT/api/v1/sandbox/clock {auth} -d '{{"advance_seconds":2700}}'
  curl -s -X POST $VILT/api/v1/sessions/$S/end {auth}
  # 5. The simulator sends its analytics callback; one worker pass computes the roster
  curl -s -X POST $VILT/api/v1/sandbox/tick {auth}
  curl -s $VILT/api/v1/sessions/$S/roster {auth}
  curl -s $VILT/api/v1/sessions/$S/attendance {auth}
  # 6. "Update roster" waits 24 h after the end (409 with allowed_at) ...
  curl -s -X POST $VILT/api/v1/sessions/$S/roster/update {auth} -d '{{"confirm_overwrite":true}}'
  #    ... so move a day on, update, and submit (which locks it)
  curl -s -X POST $VILT/api/v1/sandbox/clock {auth} -d '{{"advance_seconds":86400}}'
  curl -s -X POST $VILT/api/v1/sessions/$S/roster/update {auth} -d '{{"confirm_overwrite":true}}'
  curl -s -X POST $VILT/api/v1/sessions/$S/roster/submit {auth}
  curl -s $VILT/api/v1/users/$L1/transcript {auth}

{_other_providers(base_url, data, auth)}
The simulator's control API ({base_url}/sandbox/bigbluebutton/_sim/meetings) lets you add
participants, polls and faults. Press Ctrl+C to stop; `make demo` starts fresh each time.
"""


def _other_providers(base_url: str, data: DemoData, auth: str) -> str:
    if data.zoom_session_id is None or data.teams_session_id is None:
        return ""
    zoom = f"{base_url}/sandbox/zoom/_sim/meetings/{data.zoom_meeting_id}"
    teams = f"{base_url}/sandbox/teams/_sim/meetings/{data.teams_meeting_id}"
    json_type = '-H "Content-Type: application/json"'
    return f"""Zoom and Microsoft Teams (integrations on their simulators) hold a session at the same time:
  export Z={data.zoom_session_id} T={data.teams_session_id}
  # After step 3: on Zoom each learner has a personal join URL (registered ahead) and the
  # instructor a start URL fetched fresh; open the instructor's first (Zoom waits for the host)
  curl -s -X POST $VILT/api/v1/sessions/$Z/launch {auth} -d '{{"user_id":"'$I'"}}'
  curl -s -X POST $VILT/api/v1/sessions/$Z/launch {auth} -d '{{"user_id":"'$L1'"}}'
  #    Teams has one join URL for everybody; in the sandbox people join through the simulator
  curl -s -X POST $VILT/api/v1/sessions/$T/launch {auth} -d '{{"user_id":"'$L1'"}}'
  curl -s -X POST {teams}/join {json_type} -d '{{"email":"maria@demo.vilt.test","name":"Maria Garcia"}}'
  # After step 4: end the Zoom meeting in Zoom; its signed meeting.ended webhook ends the session
  curl -s -X POST {zoom}/end
  curl -s -X POST $VILT/api/v1/sandbox/tick {auth}
  curl -s $VILT/api/v1/sessions/$Z/roster {auth}
  #    Teams makes its attendance report once everyone has left; non-attendees are failed
  curl -s -X POST {teams}/end
  curl -s -X POST $VILT/api/v1/sessions/$T/end {auth}
  curl -s $VILT/api/v1/sessions/$T/roster {auth}
"""
