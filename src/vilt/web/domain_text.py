"""Messages from the services (validation reasons, conflicts, provider answers, roster notes)
are English sentences, some with values in them. Each known sentence is listed here as a
message with placeholders, so the pages show it in the reader's language with the values kept;
a sentence not listed is shown as it is."""

from __future__ import annotations

from collections.abc import Callable

from vilt.api.lti.texts import LAUNCH
from vilt.i18n import N_, Sentences, Texts
from vilt.web.labels import label

# Each value in a sentence can itself be a word to translate (a state); instants (``when``, ``at``)
# are shown in the reader's zone and language.
_AS_LABEL = {
    "state": "session_state",
    "target": "session_state",
    "kind": "event_kind",
    "source": "attendance_source",
}

MESSAGES: tuple[str, ...] = (
    # people
    N_("Give a valid email address, like name@example.com."),
    N_("A display name is required."),
    N_("A display name has at most 255 characters."),
    N_("%(address)s is given twice."),
    N_("%(address)s already belongs to another user in this account."),
    N_("'%(address)s' is not a valid email address."),
    N_("Unknown role '%(role)s'; use %(roles)s."),
    N_("Choose en or ru."),
    N_("No such user in this account."),
    # binding attendance that matched nobody
    N_("Applied to the roster."),
    N_("Added as a walk-in (the integration's policy) and applied to the roster."),
    N_(
        "%(name)s is not enrolled in this session, so the roster is unchanged (the integration ignores "
        "walk-ins)."
    ),
    N_("%(address)s belongs to another user, so it was not added as an alias."),
    N_("'%(address)s' is not a valid address, so it was not kept as an alias."),
    N_("'%(address)s' could not be kept as an alias."),
    N_("%(address)s is now an alias of %(name)s."),
    N_("No such attendance record in this session."),
    N_("This record was matched by %(method)s already; only unmatched records are bound."),
    N_("No user has the email %(address)s."),
    N_("Choose the person this record belongs to."),
    # webhook endpoints
    N_("A URL is required."),
    N_("A URL has at most 2048 characters."),
    N_("Give an absolute http:// or https:// URL."),
    N_("Subscribe to at least one event type."),
    N_("At most 2000 characters."),
    N_("No such webhook endpoint in this account."),
    # forms: sessions and events
    N_("A title is required."),
    N_("A title can have at most %(max)s characters (%(given)s given)."),
    N_("A start time is required."),
    N_("A duration is required."),
    N_("Give the start with its UTC offset, e.g. 2026-05-04T09:00:00+02:00."),
    N_(
        "A session with an integration must start in the future; record a past session without an "
        "integration."
    ),
    N_("'%(zone)s' is not a known IANA time zone."),
    N_("A session lasts at least 1 minute."),
    N_("A session lasts at most 23 h 59 min (1439 minutes)."),
    N_("Capacity must be at least 1, or empty for unlimited."),
    N_("A %(state)s session cannot become %(target)s."),
    N_("A %(state)s session cannot be edited."),
    N_("A running session keeps its start and its integration."),
    N_("No such integration in this account."),
    N_("The integration '%(name)s' is inactive."),
    N_("The integration '%(name)s' is not available to this event's team."),
    N_("%(provider)s cannot host a %(kind)s."),
    N_(
        "%(provider)s does not report poll answers, so the rule 'all poll questions answered' cannot "
        "be used with it."
    ),
    N_("No such user in this account."),
    N_("No such team in this account."),
    N_("No such event in this account."),
    N_("No such session in this account."),
    N_("Choose webinar or meeting."),
    N_("Choose alternative (one session per learner) or series (every part)."),
    N_("At most 255 characters."),
    N_("The rule %(rule)s needs a whole number."),
    N_("The rule %(rule)s takes a value from %(low)s to %(high)s."),
    N_("The session can be started from %(when)s."),
    N_("Nothing is waiting to be pushed to the provider."),
    N_("Give the meeting's key or id from the provider."),
    N_("A meeting key has at most 512 characters."),
    N_("Only a scheduled session can be linked to a provider meeting."),
    N_("Choose the session's integration first; the meeting lives there."),
    N_("That meeting is linked to the session '%(title)s' already."),
    N_("BigBlueButton meetings exist only while they run; Vilt creates its own."),
    N_("The session is %(state)s; nobody can enroll any more."),
    N_("No such enrollment in this session."),
    # launch: the same sentences as on the LTI tool's pages
    *LAUNCH,
    # roster
    N_("The roster was submitted already."),
    N_("A roster can be submitted once the session has ended."),
    N_("The roster is not submitted; there is nothing to reopen."),
    N_("Say why the submitted roster is reopened."),
    N_("Say why the result is changed by hand."),
    N_("Give an attendance, a completion or seconds to change."),
    N_("No registered enrollment with that id in this session."),
    N_("The roster can be updated only after the session has ended."),
    N_("The roster can be updated from %(when)s, 24 hours after the end."),
    N_("The roster was submitted and is locked; an administrator can reopen it."),
    N_("Updating the roster overwrites it, manual edits included; send confirm_overwrite: true."),
    N_("Fetched %(count)s record(s) from the provider."),
    N_(
        "The provider gave no attendance now (%(reason)s); rebuilt from the %(source)s report "
        "received %(when)s."
    ),
    N_("The provider gave no attendance (%(reason)s) and none was received before."),
    N_("the session has no provider meeting"),
    N_("BigBlueButton sends attendance by the analytics callback after the meeting."),
    # how a result was decided
    N_("no attendance imported yet"),
    N_("no attendance reported"),
    N_("set by hand: %(reason)s"),
    N_("attended (%(minutes)s min in the scheduled time)"),
    N_("present %(percent)s%% of the scheduled time; %(needed)s%% needed"),
    N_("present %(minutes)s min in the scheduled time; %(needed)s min needed"),
    N_("answered %(answered)s of %(asked)s poll questions"),
    # attendance notes
    N_("%(count)s participant record(s) received (%(source)s)."),
    N_("The provider sent no report within an hour; attendance is what was seen while live."),
    N_("Closed with no attendance: nothing was reported within an hour of the end."),
    N_("The provider has no attendance report yet."),
    N_("Fetching attendance failed: %(reason)s"),
    N_("Fetched from the provider by Update roster."),
    # integrations
    N_("A name is required."),
    N_("A name has 1 to 255 characters."),
    N_("Choose a provider kind."),
    N_("Unknown provider '%(kind)s'; known: %(known)s."),
    N_("Max learners must be at least 1, or empty for unlimited."),
    N_("A lead time is 0 to 1440 minutes."),
    N_("Auto-end is 1 to 1440 minutes after the scheduled end."),
    N_("Give a full http(s):// address."),
    N_("The provider kind cannot change; create another integration."),
    N_("This setting is required."),
    N_("Check failed: %(reason)s"),
    N_(
        "This %(provider)s account is already linked to %(where)s; one provider account can be linked "
        "to one integration only."
    ),
    N_("another integration"),
    N_("integration '%(name)s'"),
    N_("This account uses one webinar service at a time: deactivate %(kinds)s before activating %(kind)s."),
    N_("Integrations of %(count)s provider kinds are active (%(kinds)s); deactivate all but one kind first."),
    N_(
        "%(count)s scheduled or running session(s) use this integration; deactivate it instead, or "
        "move those sessions first."
    ),
    N_("Past sessions keep their attendance through this integration; deactivate it instead."),
    N_("%(provider)s is not linked through a consent page; use check instead."),
    N_("No such integration in this account."),
    N_("No such API key in this account."),
    N_("No such delivery in this account."),
    N_("A password has at least %(count)s characters."),
    N_("A password has at most %(count)s characters."),
    # the worker's reasons on a session's provider state (registrants)
    N_("%(count)s learner(s) could not be registered with the provider yet."),
    N_("%(count)s registration(s) of canceled enrollments could not be canceled with the provider yet."),
    # provider answers (BigBlueButton and the shared HTTP layer)
    N_("Connected."),
    N_("Give the full address, starting with https://"),
    N_("The server URL takes no query or fragment."),
    N_("Could not reach %(where)s: %(reason)s"),
    N_("Nothing answers at %(where)s; check the server URL."),
    N_("The server at %(where)s answered, but it is not BigBlueButton."),
    N_(
        "%(where)s redirects to %(location)s; give the server URL the server answers at (often https:// "
        "instead of http://)."
    ),
    N_(
        "The server refused the checksum: the shared secret is wrong (on the server, `bbb-conf --secret` "
        "shows it)."
    ),
    N_(
        "The shared secret is right, but this server does not accept %(chosen)s checksums (sha384 and "
        "sha512 need BigBlueButton 2.5 or later, and the server may limit them); choose %(other)s."
    ),
    N_("%(provider)s did not answer in time."),
    N_("Could not connect to %(provider)s at %(host)s."),
    N_("Network error talking to %(provider)s: %(error)s."),
    N_("%(provider)s refused the credentials (HTTP 401)"),
    N_("%(provider)s failed (HTTP %(status)s)"),
    N_("%(provider)s refused the request (HTTP %(status)s)"),
)


def _word(name: str, value: str) -> str | None:
    return label(_AS_LABEL[name], value) if name in _AS_LABEL else None


# the matching itself is shared with the LTI tool's pages (vilt.i18n.Sentences)
_SENTENCES = Sentences(MESSAGES, _word)


def translate(text: str | None, texts: Texts, zone: str = "UTC") -> str:
    """``text`` in the reader's language (instants in ``zone``), or unchanged if unknown."""
    return _SENTENCES.translate(text, texts, zone)


Translator = Callable[[str | None], str]
