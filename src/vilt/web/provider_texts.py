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
)
