"""Binding attendance that matched nobody from the roster page, over HTTP: the form offers the
name-based suggestions and the enrolled learners, or anyone by email; a binding applies to the
roster at once and says what it did; a wrong email is refused next to its record."""

from __future__ import annotations

import re

from tests.api.roster_support import import_reports, report, roster_by_user, schedule
from tests.web.conftest import Site


async def test_an_administrator_binds_an_unmatched_record_from_the_roster_page(site: Site) -> None:
    harness = site.harness
    _, session, _ = await schedule(harness, learners=1)
    sid = session["id"]
    boris = await harness.user("boris@example.com", "Boris Petrov")
    await harness.post(f"/api/v1/sessions/{sid}/enrollments", {"user_id": boris["id"]})
    await import_reports(
        harness,
        sid,
        report("phone-7", (0, 40), name="Petrov Boris"),
        report("home", (40, 60), name="B. P.", email="Boris.Home@Mail.example"),
    )
    client, csrf = await site.signed_in("admin")
    page = await client.get(f"/sessions/{sid}/roster")
    rows = re.findall(
        r'<td data-label="Name" translate="no">([^<]+)</td>.*?/records/([0-9a-f-]+)/bind', page.text, re.S
    )
    records = dict(rows)
    assert set(records) == {"Petrov Boris", "B. P."}
    assert (
        f'<option value="{boris["id"]}" translate="no">Boris Petrov (boris@example.com)</option>' in page.text
    )

    nobody = await client.post(
        f"/sessions/{sid}/roster/records/{records['B. P.']}/bind",
        data={"csrf_token": csrf, "user_id": "", "email": "nobody@example.com"},
    )
    assert nobody.status_code == 422
    assert "No user has the email nobody@example.com." in nobody.text
    assert f'id="f-bind-{records["B. P."]}" name="user_id" aria-invalid="true"' in nobody.text
    assert 'value="nobody@example.com"' in nobody.text  # what was typed is kept

    bound = await client.post(
        f"/sessions/{sid}/roster/records/{records['Petrov Boris']}/bind",
        data={"csrf_token": csrf, "user_id": boris["id"], "email": ""},
    )
    assert bound.status_code == 303
    assert "Applied to the roster." in (await client.get(bound.headers["location"])).text
    assert (await roster_by_user(harness, sid))[boris["id"]]["attendance"] == "attended"

    by_email = await client.post(
        f"/sessions/{sid}/roster/records/{records['B. P.']}/bind",
        data={"csrf_token": csrf, "user_id": "", "email": "BORIS@example.com"},
    )
    shown = (await client.get(by_email.headers["location"])).text
    assert "boris.home@mail.example is now an alias of Boris Petrov." in shown
    assert "/bind" not in shown  # nothing left to review


async def test_instructors_see_unmatched_records_but_cannot_bind_them(site: Site) -> None:
    _, session, _ = await schedule(site.harness, learners=1)
    await import_reports(site.harness, session["id"], report("x", (0, 40), name="Someone"))
    client, _csrf = await site.signed_in("instructor")
    page = await client.get(f"/sessions/{session['id']}/roster")
    assert "Someone" in page.text
    assert "/bind" not in page.text
