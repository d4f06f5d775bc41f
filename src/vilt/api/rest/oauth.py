"""``/oauth/callback``: where a provider's consent page sends the browser back. It is opened by a
browser coming from the provider, so it takes no API key: the ``state`` (encrypted by Vilt when the
sign-in started) says which integration it is for. It answers with a page, not JSON."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from vilt.api.deps import RuntimeDep
from vilt.core.errors import DomainError, ValidationFailed
from vilt.providers.errors import Invalid

# the authorization response is plain OAuth 2.0 (RFC 6749 §4.1.2); Teams' module reads it
from vilt.providers.teams.webhooks import parse_authorization_response
from vilt.services import oauth_links
from vilt.services.context import Actor

router = APIRouter(prefix="/oauth", tags=["integrations"])
SIGN_IN = Actor("provider", "sign-in", "provider sign-in")


def _page(title: str, text: str, status: int, integration_id: str | None = None) -> HTMLResponse:
    back = (
        f'<p><a href="/admin/integrations/{escape(integration_id)}">Back to the integration</a></p>'
        if integration_id
        else ""
    )
    return HTMLResponse(
        f"<!doctype html><html lang=en><meta charset=utf-8><title>{escape(title)}</title>"
        f"<body style='font:16px system-ui;max-width:40rem;margin:3rem auto'><h1>{escape(title)}</h1>"
        f"<p>{escape(text)}</p>{back}</body></html>",
        status_code=status,
    )


@router.get("/callback", response_class=HTMLResponse)
async def oauth_callback(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    """Finish a consent sign-in: redeem the code, keep the grant encrypted, show who signed in."""
    try:
        answer = parse_authorization_response(dict(request.query_params))
        async with runtime.db.reading() as tx:
            job = await oauth_links.prepare(runtime.ctx, tx, answer.state)
        result = await oauth_links.exchange(runtime.ctx, job, answer.code)
        async with runtime.db.transaction() as tx:
            integration = await oauth_links.store(runtime.ctx, tx, job, result, SIGN_IN)
    except Invalid as exc:
        return _page("Sign-in not completed", exc.reason, 400)
    except ValidationFailed as exc:
        return _page("Sign-in not completed", " ".join(e.reason for e in exc.errors), exc.status)
    except DomainError as exc:
        return _page("Sign-in not completed", exc.detail, exc.status)
    runtime.worker.wake.set()
    return _page(
        "Signed in",
        f"Signed in as {integration.account_label}. The integration '{integration.name}' is linked; "
        "you can close this window.",
        200,
        str(integration.id),
    )
