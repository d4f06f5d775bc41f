"""The learner's own sessions: times in their zone, Launch inside the window (a countdown
before it), results afterwards. Launch is refused by the server outside the window, whatever
the page showed."""

from __future__ import annotations

import uuid

from fastapi import Response
from fastapi.responses import RedirectResponse

from vilt.core.errors import NotFound
from vilt.services import launch as launch_service
from vilt.services.transcript import TranscriptLine, transcript
from vilt.web.pages import LearnerChange, LearnerPage, Page
from vilt.web.routes.common import page_router

router = page_router()


async def _lines(page: Page) -> list[TranscriptLine]:
    user = page.user.user
    async with page.runtime.db.reading() as tx:
        _, lines = await transcript(tx, user.account_id, user.id, page.runtime.clock.now())
    return [line for line in lines if line.enrollment.status != "canceled"]


@router.get("/my/sessions")
async def my_sessions(page: LearnerPage) -> Response:
    lines = await _lines(page)
    now = page.runtime.clock.now()
    upcoming = [line for line in lines if line.session.state in ("scheduled", "live")]
    past = [line for line in lines if line.session.state not in ("scheduled", "live")]
    return page.render("learner/my_sessions.html", upcoming=upcoming, past=list(reversed(past)), now=now)


@router.get("/my/sessions/{session_id}/card")
async def launch_card(page: LearnerPage, session_id: uuid.UUID) -> Response:
    """The launch card alone: htmx asks for it again and again, so the countdown follows the
    server's clock and the button turns on when the window opens."""
    line = next((line for line in await _lines(page) if line.session.id == session_id), None)
    if line is None:
        raise NotFound("No such session in this account.")
    return page.render("learner/_card.html", line=line, now=page.runtime.clock.now())


@router.post("/my/sessions/{session_id}/launch")
async def launch(page: LearnerChange, session_id: uuid.UUID) -> Response:
    answer = await launch_service.launch(
        page.runtime.ctx, page.runtime.db, page.user.user.account_id, session_id, page.user.user.id
    )
    return RedirectResponse(answer.url, status_code=303)
