"""How each provider looks from the REST API in the tests: its integration on the built-in
simulator, what its launch URLs look like, how a person enters the meeting and leaves it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.conftest import BASE_URL, Harness
from vilt.sandbox.teams import TeamsSimulator
from vilt.sandbox.zoom import ZoomSimulator

SIM = f"{BASE_URL}/sandbox"


def zoom_sim(harness: Harness) -> ZoomSimulator:
    sim = harness.runtime.simulators["zoom"]
    assert isinstance(sim, ZoomSimulator)
    return sim


def teams_sim(harness: Harness) -> TeamsSimulator:
    sim = harness.runtime.simulators["teams"]
    assert isinstance(sim, TeamsSimulator)
    return sim


async def sim_post(harness: Harness, kind: str, path: str, body: Any = None) -> dict[str, Any]:
    response = await harness.client.post(f"/sandbox/{kind}/_sim{path}", json=body if body is not None else {})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def sim_meetings(harness: Harness, kind: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = (await harness.client.get(f"/sandbox/{kind}/_sim/meetings")).json()[
        "meetings"
    ]
    return listed


async def zoom_integration(harness: Harness, **overrides: Any) -> dict[str, Any]:
    sim = zoom_sim(harness)
    body = {"kind": "zoom", "name": "Zoom", "settings": {**sim.integration_settings(), "plan": "business"}}
    body.update(overrides)
    response = await harness.post("/api/v1/integrations", body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def teams_integration(harness: Harness, mode: str = "delegated", **overrides: Any) -> dict[str, Any]:
    sim = teams_sim(harness)
    settings = {**sim.integration_settings(), "auth_mode": mode}
    body = {"kind": "teams", "name": f"Teams ({mode})", "settings": settings}
    body.update(overrides)
    response = await harness.post("/api/v1/integrations", body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def sign_in_to_microsoft(
    harness: Harness, integration_id: str, email: str, *, deny: bool = False
) -> Any:
    """The administrator's "Sign in to Microsoft": Vilt's link URL, the consent page, the callback."""
    started = await harness.post(f"/api/v1/integrations/{integration_id}/link")
    assert started.status_code == 200, started.text
    url = started.json()["authorize_url"]
    assert url.startswith(f"{SIM}/teams/")
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert params["redirect_uri"] == f"{BASE_URL}/api/v1/oauth/callback"
    page = await harness.client.get(url)
    assert page.status_code == 200, page.text
    user = teams_sim(harness).state.user(email)
    assert user is not None
    form = {**params, "deny": "1"} if deny else {**params, "user": user.id}
    consented = await harness.client.post(urlsplit(url).path, data=form)
    assert consented.status_code == 302
    return await harness.client.get(consented.headers["location"])


@dataclass
class Scenario:
    """One provider, as the lifecycle test drives it."""

    kind: str

    async def integration(self, harness: Harness, instructor_email: str) -> dict[str, Any]:
        if self.kind == "bigbluebutton":
            return await harness.bbb_integration()
        if self.kind == "zoom":
            zoom_sim(harness).state.add_user(instructor_email, "Irene Instructor")
            return await zoom_integration(harness)
        teams_sim(harness).state.add_user(instructor_email, "Irene Instructor")
        created = await teams_integration(harness, "delegated")
        assert created["connection"]["state"] == "not_linked"
        signed_in = await sign_in_to_microsoft(harness, created["id"], instructor_email)
        assert signed_in.status_code == 200, signed_in.text
        return created

    def check_learner_url(self, url: str, meeting_id: str) -> None:
        if self.kind == "bigbluebutton":
            query = parse_qs(urlsplit(url).query)
            assert (query["role"], query["meetingID"]) == (["VIEWER"], [meeting_id])
        elif self.kind == "zoom":
            assert url.startswith(f"{SIM}/zoom/w/{meeting_id}?tk=")  # the registrant's personal URL
        else:
            assert url.startswith(f"{SIM}/teams/l/meetup-join/")

    def check_host_url(self, url: str, learner_url: str, meeting_id: str) -> None:
        if self.kind == "bigbluebutton":
            assert parse_qs(urlsplit(url).query)["role"] == ["MODERATOR"]
        elif self.kind == "zoom":
            assert url.startswith(f"{SIM}/zoom/s/{meeting_id}?zak=")  # a fresh start URL
        else:
            assert url == learner_url  # one joinWebUrl: Teams knows the organizer by sign-in

    async def enter(self, harness: Harness, meeting_id: str, url: str, name: str, email: str) -> None:
        """Someone opens their launch URL (Teams' shared URL does not say who: the simulator's join)."""
        opened = await harness.client.get(url, follow_redirects=True)
        assert opened.status_code == 200, opened.text
        if self.kind == "teams":
            await sim_post(harness, "teams", f"/meetings/{meeting_id}/join", {"email": email, "name": name})

    def who(self, url: str, email: str) -> dict[str, Any]:
        """The /_sim/ body that names the person who entered with ``url``."""
        if self.kind == "bigbluebutton":
            return {"user_id": parse_qs(urlsplit(url).query)["userID"][0]}
        return {"email": email}

    async def after_end(self, harness: Harness, meeting_id: str) -> None:
        if self.kind == "teams":
            # Vilt cannot end a Teams meeting; when the last person leaves Teams makes the report
            await sim_post(harness, "teams", f"/meetings/{meeting_id}/end")
            await harness.advance(300)


SCENARIOS = [Scenario("bigbluebutton"), Scenario("zoom"), Scenario("teams")]
