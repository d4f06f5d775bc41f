"""Pure LTI rules: the claims check, roles, the scores URL, Link headers, scores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vilt.core import lti
from vilt.core.lti import Expected, LaunchRefused, check_claims, map_roles, next_link, score_for, scores_url

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EXPECTED = Expected("https://lms.test", "client-1", "nonce-1", ["dep-1"])


def claims(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": "https://lms.test",
        "aud": "client-1",
        "sub": "user-1",
        "nonce": "nonce-1",
        "iat": int(NOW.timestamp()),
        "exp": int((NOW + timedelta(minutes=5)).timestamp()),
        lti.DEPLOYMENT_ID: "dep-1",
        lti.MESSAGE_TYPE: lti.RESOURCE_LINK_REQUEST,
        lti.VERSION: "1.3.0",
        lti.ROLES: [],
        lti.RESOURCE_LINK: {"id": "rl-1"},
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def test_a_valid_launch_passes_and_small_clock_skew_is_tolerated() -> None:
    assert check_claims(claims(), EXPECTED, NOW) == lti.RESOURCE_LINK_REQUEST
    assert check_claims(claims(iat=int(NOW.timestamp()) + 30), EXPECTED, NOW)
    assert check_claims(claims(aud=["client-1", "x"], azp="client-1"), EXPECTED, NOW)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"iss": "https://other.test"}, "issuer_mismatch"),
        ({"aud": ["x"]}, "audience_mismatch"),
        ({"aud": ["client-1", "x"]}, "azp_mismatch"),
        ({"exp": int(NOW.timestamp()) - 61}, "token_expired"),
        ({"iat": int(NOW.timestamp()) + 61}, "issued_in_future"),
        ({"iat": int(NOW.timestamp()) - 7200, "exp": int(NOW.timestamp()) + 60}, "token_too_old"),
        ({"exp": "soon"}, "times_missing"),
        ({"nonce": "other"}, "nonce_mismatch"),
        ({lti.DEPLOYMENT_ID: "dep-2"}, "deployment_unknown"),
        ({lti.MESSAGE_TYPE: "LtiSubmissionReviewRequest"}, "message_type_unsupported"),
        ({lti.VERSION: "1.3.1"}, "version_unsupported"),
        ({"sub": None}, "subject_missing"),
        ({lti.RESOURCE_LINK: {}}, "resource_link_missing"),
        ({lti.MESSAGE_TYPE: lti.DEEP_LINKING_REQUEST}, "deep_linking_settings_missing"),
        (
            {
                lti.MESSAGE_TYPE: lti.DEEP_LINKING_REQUEST,
                lti.DL_SETTINGS: {"deep_link_return_url": "u", "accept_types": ["link"]},
            },
            "deep_linking_type_refused",
        ),
    ],
)
def test_each_wrong_claim_is_refused_with_its_reason(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(LaunchRefused) as refused:
        check_claims(claims(**changes), EXPECTED, NOW)
    assert refused.value.reason == reason


@pytest.mark.parametrize(
    ("roles", "instructor", "learner", "vilt"),
    [
        (["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"], True, False, ["instructor"]),
        (
            ["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"],
            True,
            False,
            ["instructor"],
        ),
        (["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"], False, True, ["learner"]),
        (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student"], False, True, ["learner"]),
        (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Faculty"], True, False, ["instructor"]),
        (
            [
                "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor",
                "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
            ],
            False,
            True,
            ["learner"],
        ),
        (
            ["http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"],
            True,
            False,
            ["admin", "instructor"],
        ),
        (["Instructor"], True, False, ["instructor"]),
        (["Learner", "Student"], False, True, ["learner"]),
        (["urn:lti:role:ims/lis/Instructor"], True, False, ["instructor"]),
        ([], False, False, ["learner"]),
    ],
)
def test_roles_context_institution_system_and_short_names(
    roles: list[str], instructor: bool, learner: bool, vilt: list[str]
) -> None:
    mapped = map_roles(roles)
    assert (mapped.is_instructor, mapped.is_learner, mapped.vilt_roles()) == (instructor, learner, vilt)


@given(st.lists(st.text(max_size=40), max_size=6))
def test_any_roles_claim_maps_to_at_least_one_vilt_role(values: list[str]) -> None:
    mapped = map_roles(values)
    assert mapped.vilt_roles()
    assert not (mapped.is_instructor and mapped.is_learner)


paths = st.lists(st.text(alphabet="abcdefghij0123456789-_", min_size=1, max_size=8), min_size=1, max_size=4)
queries = st.dictionaries(
    st.text(alphabet="abcxyz", min_size=1, max_size=5), st.text(alphabet="0123456789", max_size=4), max_size=3
)


@given(paths, queries, st.booleans())
def test_scores_go_under_the_line_items_path_and_keep_its_query(
    parts: list[str], query: dict[str, str], slash: bool
) -> None:
    encoded = "&".join(f"{k}={v}" for k, v in query.items())
    lineitem = (
        "https://lms.test/" + "/".join(parts) + ("/" if slash else "") + (f"?{encoded}" if encoded else "")
    )
    url = urlsplit(scores_url(lineitem))
    assert url.path == "/" + "/".join(parts) + "/scores"
    assert url.query == encoded


def test_link_header_next_among_others() -> None:
    header = '<https://lms.test/m?p=1>; rel="differences", <https://lms.test/m?p=2>; rel="next"'
    assert next_link(header) == "https://lms.test/m?p=2"
    assert next_link("<https://x/y>; rel=next") == "https://x/y"
    assert next_link('<https://x/y>; rel="prev"') is None
    assert next_link(None) is None


def test_scores_by_completion() -> None:
    done = score_for("completed", "attended", "59% present", 10, final=True)
    assert (done.score_given, done.score_maximum, done.activity_progress, done.grading_progress) == (
        10,
        10,
        "Completed",
        "FullyGraded",
    )
    assert score_for("failed", "attended", "", 10, final=False).score_given == 0
    assert score_for("in_progress", "attended", "", 10, final=True).grading_progress == "Pending"
    assert score_for("not_started", "absent", "", 10, final=True).grading_progress == "FullyGraded"
    assert score_for("not_started", "unknown", "", 10, final=False).grading_progress == "NotReady"
    payload = done.payload("sub-1", NOW)
    assert payload["userId"] == "sub-1"
    assert payload["timestamp"] == "2026-03-02T09:00:00.000Z"


def test_acs_action_names_follow_what_the_platform_advertised() -> None:
    assert lti.acs_action_name("pause", ["pause", "resume"]) == "pause"
    assert lti.acs_action_name("pause", ["pauseRequest", "update"]) == "pauseRequest"
    assert lti.acs_action_name("update", ["pauseRequest", "update"]) == "update"
    assert lti.acs_action_name("flag", []) == "flag"
    assert lti.canonical_acs_action("terminateRequest") == "terminate"
    assert lti.canonical_acs_action("explode") is None
