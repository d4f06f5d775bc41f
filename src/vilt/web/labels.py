"""Words for the values users see: states, kinds, results. Each is a message to translate."""

from __future__ import annotations

from vilt.web.i18n import N_

LABELS: dict[str, dict[str, str]] = {
    "session_state": {
        "scheduled": N_("Scheduled"),
        "live": N_("Already running"),
        "ended": N_("Ended"),
        "canceled": N_("Canceled"),
    },
    "sync_state": {
        "synced": N_("Synced with the provider"),
        "pending": N_("Waiting to be sent to the provider"),
        "failed": N_("Sending to the provider failed"),
    },
    "connection_state": {
        "not_linked": N_("Not linked"),
        "linked": N_("Linked"),
        "needs_reauth": N_("Needs re-authorization"),
        "error": N_("Error"),
    },
    "attendance": {"attended": N_("Attended"), "absent": N_("Absent"), "unknown": N_("Unknown")},
    "completion": {
        "completed": N_("Completed"),
        "in_progress": N_("In progress"),
        "failed": N_("Failed"),
        "not_started": N_("Not started"),
    },
    "source": {
        "initial": N_("Not yet reported"),
        "sync": N_("Provider report"),
        "manual": N_("Edited by hand"),
        "update": N_("Update roster"),
    },
    "version_reason": {
        "sync": N_("Attendance received"),
        "manual": N_("Edited by hand"),
        "update": N_("Update roster"),
    },
    "attendance_state": {
        "not_due": N_("Not due yet"),
        "waiting": N_("Waiting for the provider's report"),
        "received": N_("Received"),
        "closed": N_("Closed"),
    },
    "enrollment": {
        "registered": N_("Registered"),
        "waitlisted": N_("Waitlisted"),
        "canceled": N_("Canceled"),
    },
    "event_kind": {"webinar": N_("Webinar"), "meeting": N_("Meeting")},
    "session_mode": {
        "alternative": N_("Alternative sessions (a learner attends one)"),
        "series": N_("Series (a learner attends every part)"),
    },
    "rule": {
        "attended": N_("Any attendance"),
        "min_percent": N_("Present at least N% of the scheduled time"),
        "min_minutes": N_("Present at least N minutes"),
        "all_polls_answered": N_("Every poll question answered"),
    },
    "non_attendee_policy": {
        "unchanged": N_("Leave non-attendees unchanged"),
        "failed": N_("Mark non-attendees absent and failed"),
    },
    "walk_in_policy": {"ignore": N_("Ignore"), "add": N_("Add")},
    "delivery_status": {"pending": N_("Pending"), "delivered": N_("Delivered"), "failed": N_("Failed")},
    "role": {"admin": N_("Administrator"), "instructor": N_("Instructor"), "learner": N_("Learner")},
    "attendance_source": {"webhook": N_("webhook"), "poll": N_("poll"), "manual": N_("manual")},
    "match": {"identity": N_("Joined from Vilt"), "email": N_("Email"), "none": N_("Not matched")},
    # what each webhook event means, as the endpoint form offers it
    "webhook_event": {
        "session.updated": N_("A session changed: its time, title, capacity, or state (canceled, live)."),
        "session.ended": N_("A session ended (by its instructor, the provider, or auto-end)."),
        "roster.updated": N_("A new roster version: a sync, a manual edit, or Update roster."),
        "roster.submitted": N_("A roster was submitted: locked, and its results published."),
        "enrollment.updated": N_(
            "An enrollment changed: created, canceled, promoted, a walk-in, a new join URL."
        ),
    },
    "actor": {
        "system": N_("System"),
        "worker": N_("Vilt"),
        "provider": N_("Provider"),
        "auto-end": N_("Automatic end"),
    },
}


def label(group: str, value: str | None) -> str:
    """The English message for ``value``; unknown values are shown as they are."""
    if value is None:
        return ""
    return LABELS.get(group, {}).get(value, value)
