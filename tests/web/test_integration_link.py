"""The administrator's "Sign in to Microsoft" on the integration page, over HTTP: the button
leads to the consent page, the callback links the integration, and the page then shows who signed
in. Application mode has no such button: it is checked like any other provider."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.api.provider_setups import teams_integration, teams_sim
from tests.conftest import BASE_URL
from tests.web.conftest import Site


async def test_sign_in_to_microsoft_from_the_page_links_the_integration(site: Site) -> None:
    teams_sim(site.harness).state.add_user("irene@example.com", "Irene Instructor")
    created = await teams_integration(site.harness)
    client, csrf = await site.signed_in("admin")
    page = await client.get(f"/admin/integrations/{created['id']}")
    assert "Sign in to Microsoft" in page.text

    started = await client.post(f"/admin/integrations/{created['id']}/link", data={"csrf_token": csrf})
    assert started.status_code == 303
    url = started.headers["location"]
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert params["redirect_uri"] == f"{BASE_URL}/api/v1/oauth/callback"
    consent = await site.harness.client.get(url)
    assert "irene@example.com" in consent.text
    user = teams_sim(site.harness).state.user("irene@example.com")
    assert user is not None
    chosen = await site.harness.client.post(urlsplit(url).path, data={**params, "user": user.id})
    back = await client.get(chosen.headers["location"])
    assert back.status_code == 200
    assert f'href="/admin/integrations/{created["id"]}"' in back.text

    linked = await client.get(f"/admin/integrations/{created['id']}")
    assert "Irene Instructor (irene@example.com)" in linked.text
    assert "Linked" in linked.text


async def test_application_mode_has_no_sign_in_button_and_a_refused_link_is_explained(site: Site) -> None:
    created = await teams_integration(site.harness, mode="application")
    client, csrf = await site.signed_in("admin")
    page = await client.get(f"/admin/integrations/{created['id']}")
    assert "Sign in to Microsoft" not in page.text
    refused = await client.post(f"/admin/integrations/{created['id']}/link", data={"csrf_token": csrf})
    assert refused.status_code == 303
    assert refused.headers["location"].startswith(f"/admin/integrations/{created['id']}")
    shown = await client.get(refused.headers["location"])
    assert "not linked through a consent page" in shown.text
