"""What the LTI tool's pages say besides their templates: the titles and sentences of refusals
and errors (from ``vilt.core.lti``, ``vilt.services.lti`` and these pages), notes after an
action, and the words for values (states, kinds). Each is a message of the one catalog; the
sentences are matched and translated where they are shown (``vilt.i18n.Sentences``, as the
product's pages do with ``vilt.web.domain_text``), so the services keep raising English."""

from __future__ import annotations

from vilt.core.errors import DomainError, ValidationFailed
from vilt.i18n import N_, Sentences, Texts

TITLES: tuple[str, ...] = (
    N_("This LTI launch was refused"),
    N_("The request cannot be carried out"),
    N_("Some fields are invalid"),
    N_("Not found"),
    N_("Not allowed in the current state"),
    N_("Not allowed yet"),
    N_("Not allowed for this user"),
    N_("Please launch Vilt again from your course"),
    N_("Not open yet"),
    N_("The LMS did not give the roster"),
)

LAUNCH: tuple[str, ...] = (
    # why a launch is refused (services.launch): the product's pages show them too
    N_("This user is not enrolled in the session."),
    N_("This user is on the waitlist; a seat has not been freed yet."),
    N_("The session was canceled."),
    N_("The session has ended."),
    N_("The session can be launched from %(when)s."),
    N_("This session has no online meeting (it has no integration)."),
    N_("The session's integration is inactive; an administrator must activate it."),
    N_("The meeting is not ready on the provider yet."),
    N_("The meeting is not ready on the provider yet. Last attempt: %(reason)s"),
    N_("This learner's personal join link is not ready yet; try again in a minute."),
    N_("The provider did not give a host link: %(reason)s"),
)

# Sentences with a longer variant come before the shorter one a value could swallow.
REFUSALS: tuple[str, ...] = (
    # login initiation (OIDC)
    N_("The login request has no '%(name)s'; the LMS must send it."),
    N_(
        "No active platform with issuer %(issuer)s and client id %(client_id)s is registered in Vilt; an "
        "administrator must register it first."
    ),
    N_(
        "No active platform with issuer %(issuer)s is registered in Vilt; an administrator must register "
        "it first."
    ),
    N_("Several registrations use issuer %(issuer)s; the LMS must send its client_id with the login."),
    N_(
        "The deployment '%(deployment)s' is not registered for this platform; an administrator must add "
        "it to the platform's deployment ids."
    ),
    N_("The target link URI does not point at this Vilt."),
    # states and other single-use links
    N_("The request carries no state; start again from the LMS."),
    N_("This sign-in link is unknown; start again from your course in the LMS."),
    N_("This sign-in link was already used (a replayed request); start again from the LMS."),
    N_("This sign-in link has expired; start again from the LMS."),
    # the id_token
    N_("The LMS refused the sign-in: %(error)s."),
    N_("This platform's registration is inactive or was removed."),
    N_("The platform posted no id_token."),
    N_("The id_token is not a well-formed JWT."),
    N_("The id_token is signed with '%(algorithm)s'; only RS256 is accepted."),
    N_("The id_token names no key (kid) to check its signature with."),
    N_("The platform's key set at %(url)s is unreachable (%(error)s)."),
    N_("The platform's key set at %(url)s answered HTTP %(status)s."),
    N_("The platform's key set at %(url)s is not JSON."),
    N_("The platform's key set has no key '%(kid)s', even after fetching it again."),
    N_("The id_token's signature does not verify."),
    N_("The id_token cannot be decoded."),
    # the claims
    N_("The token was issued by '%(issuer)s', but this sign-in was started for '%(expected)s'."),
    N_("The token is not meant for this tool (client id %(client_id)s)."),
    N_("The token names several audiences but its authorized party is not this tool."),
    N_("The token has no valid exp or iat claim."),
    N_("The launch token has expired; launch again from the course."),
    N_("The launch token claims to be issued in the future."),
    N_("The launch token is too old; launch again from the course."),
    N_("The token's nonce does not match this sign-in (a replay?)."),
    N_("The message type '%(message_type)s' is not supported by Vilt."),
    N_("LTI version '%(version)s' is not supported; 1.3.0 is."),
    N_("Anonymous launches are not supported: the token has no sub."),
    N_("The token has no roles claim."),
    N_("The launch names no resource link id."),
    N_("The request has no deep_link_return_url."),
    N_("The platform does not accept LTI resource links here."),
    N_("Only instructors can add Vilt events to a course."),
    # proctoring
    N_("The proctoring launch has no attempt_number."),
    N_("The attempt_number must be 1 or more."),
    N_("The proctoring launch has no start_assessment_url."),
    N_("The proctoring launch has no session_data."),
    N_("Attempt %(number)s was already started; the LMS must start a new attempt."),
    N_("Vilt did not proctor attempt %(number)s of this assessment."),
    N_("No such proctored attempt."),
    N_("This attempt belongs to another learner."),
    N_("This assessment has no live proctor room."),
    N_("This attempt is %(attempt)s; it cannot be started again."),
    N_("Type your full name to confirm your identity."),
    N_("Confirm that you take this assessment yourself."),
    # dynamic registration
    N_("Open this URL from your LMS's tool registration page."),
    N_("The LMS configuration at %(url)s is unreachable (%(error)s)."),
    N_("The LMS configuration answered HTTP %(status)s."),
    N_("The LMS configuration is not JSON."),
    N_("The LMS configuration lacks %(fields)s."),
    N_("The configuration's issuer is not on the same host as the configuration URL; refused."),
    N_("The LMS registration endpoint is unreachable (%(error)s)."),
    N_("The LMS refused the registration (HTTP %(status)s)."),
    N_("The LMS registration answer is not JSON."),
    N_("The LMS registration answer has no client_id."),
    # the Ultra extension
    N_(
        "The Ultra extension is not set up for this platform: give its Learn URL, REST application key "
        "and secret, and the proctoring placement handle."
    ),
    N_("Learn did not grant Vilt a REST token (no code)."),
    N_("The Learn REST application secret is not set."),
    N_("Learn is unreachable (%(error)s)."),
    N_("Learn refused the REST token exchange (HTTP %(status)s)."),
    N_("Learn's token answer has no access_token."),
    N_("The Ultra extension's session expired; reload the Learn page."),
    N_("These settings are for another proctoring service."),
    N_("Only instructors and administrators can change proctoring settings."),
    N_("The course id (courseId or courseUuid) is missing."),
    N_("The assessment's content id is missing."),
    N_("Say whether proctoring is enabled."),
    N_("At most 255 characters."),
    # the tool's own pages
    N_("Your Vilt session has expired or your browser blocked its cookie; open Vilt again from the LMS."),
    N_("The form is out of date (CSRF check failed); reload the page and try again."),
    N_("This page belongs to another course link; open Vilt from that link in the LMS."),
    N_("This course link is no longer known to Vilt."),
    N_("This session is not part of the linked event."),
    N_("Only the course's instructors can do this."),
    N_("Choose an event."),
    N_("Choose on_submit or every_change."),
    N_("No such event in this account."),
    # the course roster (NRPS) and the platform's services
    N_(
        "The platform offered no Names and Role Provisioning service for this course; enable it for the "
        "tool in the LMS and launch once."
    ),
    N_("No such LTI resource link in this account."),
    N_("The membership service is unreachable (%(error)s)."),
    N_("The membership service answered HTTP %(status)s."),
    N_("The platform's token endpoint is unreachable (%(error)s)."),
    N_(
        "The platform refused a service token (HTTP %(status)s); check the tool's client id and that the "
        "platform has Vilt's key set URL."
    ),
    N_("The platform's token answer has no access_token."),
    # Deep Linking
    N_("This selection belongs to another sign-in; open it again from the LMS."),
    N_("Give a maximum score between 1 and 10000."),
    N_("Pick an event or describe a new one."),
    N_("Give the first session's start."),
    N_("Give the first session's duration in minutes."),
    N_("Give the new event a title, or pick an existing event."),
    N_("'%(zone)s' is not a known IANA time zone."),
    N_("Give the start as a date and time."),
    N_("Give the duration in whole minutes."),
    N_("Choose a virtual classroom from the list."),
    N_("The event or the score is not valid."),
    # from the services the tool's pages call: a new event, enrolling, joining
    N_("A title can have at most %(max)s characters (%(given)s given)."),
    N_(
        "A session with an integration must start in the future; record a past session without an "
        "integration."
    ),
    N_("A session lasts at least 1 minute."),
    N_("A session lasts at most 23 h 59 min (1439 minutes)."),
    N_("No such integration in this account."),
    N_("The integration '%(name)s' is inactive."),
    N_("The session is %(state)s; nobody can enroll any more."),
    *LAUNCH,
)

NOTES: dict[str, str] = {
    "imported": N_("Course members imported."),
    "enrolled": N_("You are enrolled."),
    "bound": N_("The link now opens this event."),
    "saved": N_("Saved."),
}
IMPORTED = N_("Imported %(members)s members: %(enrolled)s enrolled, %(waitlisted)s waitlisted.")

AUTOPOST: tuple[str, ...] = (N_("Returning to the course"), N_("Starting the assessment"))

WORDS: dict[str, dict[str, str]] = {
    "session_state": {
        "scheduled": N_("scheduled"),
        "live": N_("live"),
        "ended": N_("ended"),
        "canceled": N_("canceled"),
    },
    "sync_state": {
        "pending": N_("waiting to be sent to the provider"),
        "failed": N_("sending to the provider failed"),
    },
    "enrollment": {
        "registered": N_("registered"),
        "waitlisted": N_("waitlisted"),
        "canceled": N_("canceled"),
    },
    "completion": {"completed": N_("completed"), "in_progress": N_("in progress"), "failed": N_("failed")},
    "event_kind": {"webinar": N_("webinar"), "meeting": N_("meeting")},
    "session_mode": {"alternative": N_("alternative sessions"), "series": N_("a series of sessions")},
    "attempt": {
        "checking": N_("being checked"),
        "started": N_("started"),
        "paused": N_("paused"),
        "terminated": N_("terminated"),
        "ended": N_("ended"),
    },
}
_AS_WORD = {"state": "session_state", "attempt": "attempt"}


def word(group: str, value: str | None) -> str:
    """The message for a value; the value itself when it has none."""
    return WORDS.get(group, {}).get(value or "", value or "")


def _word(name: str, value: str) -> str | None:
    found = WORDS[_AS_WORD[name]].get(value) if name in _AS_WORD else None
    return found


SENTENCES = Sentences((*TITLES, *REFUSALS, *NOTES.values(), IMPORTED), _word)


def say(text: str | None, texts: Texts, zone: str = "UTC") -> str:
    """A sentence from the services or the tool in the reader's language."""
    return SENTENCES.translate(text, texts, zone)


def detail_of(exc: DomainError, texts: Texts, zone: str = "UTC") -> str:
    """What went wrong: each field's reason of a validation error, or the error's sentence."""
    if isinstance(exc, ValidationFailed) and exc.errors:
        return " ".join(say(e.reason, texts, zone) for e in exc.errors)
    return say(exc.detail, texts, zone)
