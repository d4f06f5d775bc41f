"""Steps several LTI tests share."""

from __future__ import annotations

from typing import Any

from tests.lti.conftest import Lms
from tests.lti.platform import INSTRUCTOR, ISSUER, LaunchSpec, parse_form

CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"


async def deep_link_new_event(lms: Lms, **fields: str) -> dict[str, Any]:
    bbb = await lms.harness.bbb_integration()
    spec = LaunchSpec(
        "teacher-1",
        [INSTRUCTOR],
        name="Tina Teacher",
        email="tina@school.test",
        deep_linking=True,
        dl_data="opaque-42",
    )
    picker = await lms.browser.launch(spec)
    assert picker.status_code == 200, picker.text
    assert "Add a Vilt live session to Live Teaching 101" in picker.text
    values = {
        "event_id": "",
        "title": "Safety briefing",
        "starts_at": "2026-03-02T11:00",
        "time_zone": "Europe/Berlin",
        "duration_minutes": "60",
        "integration_id": bbb["id"],
        "score_maximum": "10",
    }
    values.update(fields)
    answer = await lms.browser.post_form(picker, values)
    assert answer.status_code == 200, answer.text
    action, form = parse_form(answer.text)
    assert action == f"{ISSUER}/dl-return"
    returned = await lms.browser.client.post(action, data=form)
    assert returned.status_code == 200, returned.text
    return lms.platform.deep_link_answers[-1]
