"""What Microsoft sends back to Vilt: the redirect that ends "Sign in to Microsoft" (the
authorization response, with a code or an error, and our ``state``).

Graph change notifications (subscriptions on online meetings) are not used: they need a public
HTTPS endpoint validated per subscription and renewed every few days, and an attendance report is
only final once everyone left, so Vilt polls the reports instead (every 5 minutes for an hour)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from vilt.providers.errors import Invalid

_EXPLAINED = {
    "access_denied": "the sign-in was canceled, or the user refused the permissions Vilt asks for",
    "consent_required": "an administrator must consent to the app's permissions first",
    "interaction_required": "the user must sign in interactively",
    "invalid_scope": "the app registration does not allow the permissions Vilt asks for",
    "unauthorized_client": "the app registration does not allow this sign-in (check the redirect URI)",
}


@dataclass(frozen=True)
class AuthorizationResponse:
    state: str
    code: str


def parse_authorization_response(params: Mapping[str, str]) -> AuthorizationResponse:
    """The query Microsoft redirects back with; an error becomes Invalid with its reason."""
    state = params.get("state", "")
    if not state:
        raise Invalid("The sign-in answer carries no state; start the sign-in again from Vilt.")
    error = params.get("error")
    if error:
        why = _EXPLAINED.get(error, error)
        detail = (params.get("error_description") or "").split("\r\n")[0].split(" Trace ID:")[0].strip()
        raise Invalid(f"Microsoft did not complete the sign-in: {why}" + (f" ({detail})." if detail else "."))
    code = params.get("code", "")
    if not code:
        raise Invalid("The sign-in answer carries no authorization code; start the sign-in again.")
    return AuthorizationResponse(state, code)
