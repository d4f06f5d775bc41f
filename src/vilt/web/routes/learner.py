"""The learner's own sessions: times in their zone, Launch inside the window (a countdown
before it), results afterwards. Launch is refused by the server outside the window, whatever
the page showed."""

from __future__ import annotations

import uuid

from fastapi import Response
from fastapi.responses import RedirectResponse

from vilt.core.errors import NotFound
from vilt.services import calendar
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


async def _feed(page: Page) -> calendar.FeedLink | None:
    user = page.user.user
    async with page.runtime.db.reading() as tx:
        try:
            return await calendar.feed_link(page.runtime.ctx, tx, user.account_id, user.id)
        except NotFound:
            return None


@router.get("/my/sessions")
async def my_sessions(page: LearnerPage) -> Response:
    lines = await _lines(page)
    now = page.runtime.clock.now()
    upcoming = [line for line in lines if line.session.state in ("scheduled", "live")]
    past = [line for line in lines if line.session.state not in ("scheduled", "live")]
    return page.render(
        "learner/my_sessions.html",
        upcoming=upcoming,
        past=list(reversed(past)),
        now=now,
        feed=await _feed(page),
    )


@router.get("/my/sessions/{session_id}/calendar.ics")
async def session_calendar(page: LearnerPage, session_id: uuid.UUID) -> Response:
    """One of the learner's sessions for their calendar app (with its SEQUENCE, or a CANCEL)."""
    line = next((line for line in await _lines(page) if line.session.id == session_id), None)
    if line is None:
        raise NotFound("No such session in this account.")
    async with page.runtime.db.reading() as tx:
        body = await calendar.session_ics(page.runtime.ctx, tx, line.session)
    return Response(
        body,
        media_type=calendar.ICS_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="session-{session_id}.ics"'},
    )


@router.post("/my/calendar-feed")
async def new_feed(page: LearnerChange) -> Response:
    """A secret address for calendar apps; making a new one stops the old one at once."""
    user = page.user.user
    async with page.runtime.db.transaction() as tx:
        await calendar.new_feed(page.runtime.ctx, tx, user.account_id, user.id, page.user.actor)
    return page.redirect(
        "/my/sessions#calendar-heading",
        page.gettext("Your calendar address is ready: add it to your calendar app."),
    )


@router.post("/my/calendar-feed/revoke")
async def revoke_feed(page: LearnerChange) -> Response:
    user = page.user.user
    try:
        async with page.runtime.db.transaction() as tx:
            await calendar.revoke_feed(page.runtime.ctx, tx, user.account_id, user.id, page.user.actor)
    except NotFound:
        pass  # already stopped: the page shows the same thing either way
    return page.redirect(
        "/my/sessions#calendar-heading", page.gettext("The calendar address no longer works.")
    )


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
