"""The words providers show on their settings forms (titles and descriptions from their
settings schemas), listed for translation. A new provider adds its own here; a test checks
that every provider's schema is covered."""

from __future__ import annotations

from vilt.web.i18n import N_

PROVIDER_TEXTS = (
    # bigbluebutton
    N_("Server URL"),
    N_("The BigBlueButton server, e.g. https://bbb.example.com/bigbluebutton/"),
    N_("API token (shared secret)"),
    N_("The server's shared secret (bbb-conf --secret)."),
    N_("Checksum algorithm"),
    N_("sha1 and sha256 work everywhere; sha384 and sha512 need BigBlueButton 2.5+."),
    # teams
    N_("Authorization"),
    N_(
        "delegated: one licensed user signs in to Microsoft and every meeting goes to that user's "
        "Teams calendar. application: meetings go to each instructor's calendar (every instructor "
        "needs a Microsoft 365 licence, and Teams an application access policy)."
    ),
    N_("Client ID"),
    N_("The app registration's Application (client) ID."),
    N_("Client secret"),
    N_("Tenant ID"),
    N_("The Directory (tenant) ID."),
    N_("Receive attendance from Teams"),
    N_(
        "For an hour after the end, every 5 minutes, Vilt asks Teams for the attendance report "
        "(Teams makes it once everyone has left): attendees are completed, others failed."
    ),
    N_("Identity platform"),
    N_("Microsoft Graph"),
    # zoom
    N_("Account ID"),
    N_("From the Server-to-Server OAuth app's credentials."),
    N_("Secret token (webhooks)"),
    N_(
        "The app's event-subscription secret token; Vilt verifies every webhook with it. Subscribe "
        "to meeting.ended and webinar.ended at this integration's webhook URL."
    ),
    N_("Default host"),
    N_("The Zoom user who hosts sessions that have no instructor (otherwise the app's owner)."),
    N_("Zoom plan"),
    N_("Sets the per-second rate limits Vilt keeps to (pro, or business and above)."),
    N_("OAuth server"),
    N_("API base URL"),
)
