"""Checksums: the documented golden vector, every algorithm the simulator accepts, and the
refusals (wrong secret, an algorithm the server is configured without). Real HTTP requests to
the simulator over the ASGI transport."""

from __future__ import annotations

import httpx
import pytest

from tests.sandbox.support import BBB, SECRET, signed, text, xml
from vilt.clock import AdjustableClock
from vilt.providers.bigbluebutton.client import checksum, signed_query
from vilt.providers.bigbluebutton.config import ChecksumAlgorithm
from vilt.sandbox.bigbluebutton import BigBlueButtonSimulator

GOLDEN_QUERY = "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444"
GOLDEN_PARAMS = [
    ("name", "Test Meeting"),
    ("meetingID", "abc123"),
    ("attendeePW", "111222"),
    ("moderatorPW", "333444"),
]
GOLDEN_SHA1 = "1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17"


def test_golden_vector_from_the_bigbluebutton_docs() -> None:
    assert checksum("create", GOLDEN_QUERY, SECRET, ChecksumAlgorithm.SHA1) == GOLDEN_SHA1


def test_signed_query_encodes_spaces_as_plus_and_signs_what_it_sends() -> None:
    assert signed_query("create", GOLDEN_PARAMS, SECRET, ChecksumAlgorithm.SHA1) == (
        f"{GOLDEN_QUERY}&checksum={GOLDEN_SHA1}"
    )
    # the test helper, written separately, agrees (it signs the simulator requests below)
    assert (
        signed("create", GOLDEN_PARAMS) == f"/bigbluebutton/api/create?{GOLDEN_QUERY}&checksum={GOLDEN_SHA1}"
    )


def test_a_call_without_parameters_signs_the_empty_query() -> None:
    assert signed_query("getMeetings", [], SECRET, ChecksumAlgorithm.SHA256) == (
        "checksum=" + checksum("getMeetings", "", SECRET, ChecksumAlgorithm.SHA256)
    )


@pytest.mark.parametrize(
    ("algorithm", "length"), [("sha1", 40), ("sha256", 64), ("sha384", 96), ("sha512", 128)]
)
async def test_the_simulator_accepts_each_algorithm(
    api: httpx.AsyncClient, algorithm: str, length: int
) -> None:
    url = signed("create", GOLDEN_PARAMS, algorithm=algorithm)
    assert len(url.rsplit("checksum=", 1)[1]) == length
    root = xml(await api.get(url))
    assert text(root, "returncode") == "SUCCESS"
    assert text(root, "meetingID") == "abc123"


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "sha384", "sha512"])
async def test_the_adapter_checksum_is_accepted_by_the_simulator(
    api: httpx.AsyncClient, algorithm: str
) -> None:
    query = signed_query("getMeetings", [], SECRET, ChecksumAlgorithm(algorithm))
    assert text(xml(await api.get(f"/bigbluebutton/api/getMeetings?{query}")), "returncode") == "SUCCESS"


async def test_a_wrong_secret_fails_with_checksum_error(api: httpx.AsyncClient) -> None:
    root = xml(await api.get(signed("create", GOLDEN_PARAMS, secret="not-the-secret")))
    assert text(root, "returncode") == "FAILED"
    assert text(root, "messageKey") == "checksumError"
    assert root.find("meetingID") is None  # call fields only on SUCCESS


@pytest.mark.parametrize(
    "tamper",
    [
        lambda url: url.replace("abc123", "abc124"),  # a parameter changed after signing
        lambda url: url.split("&checksum=")[0],  # no checksum at all
        lambda url: url + "&checksum=" + "0" * 40,  # two checksums
        lambda url: url[:-1],  # 39 hex digits: no algorithm has that length
    ],
)
async def test_a_tampered_or_missing_checksum_is_refused(api: httpx.AsyncClient, tamper) -> None:
    root = xml(await api.get(tamper(signed("create", GOLDEN_PARAMS))))
    assert text(root, "messageKey") == "checksumError"


async def test_upper_case_hex_is_accepted(api: httpx.AsyncClient) -> None:
    url = signed("getMeetings")
    head, digest = url.rsplit("checksum=", 1)
    assert text(xml(await api.get(f"{head}checksum={digest.upper()}")), "returncode") == "SUCCESS"


async def test_a_server_configured_without_sha512_refuses_sha512(clock: AdjustableClock) -> None:
    sim = BigBlueButtonSimulator(clock, secret=SECRET, algorithms=("sha1", "sha256"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app), base_url=BBB) as api:
        refused = xml(await api.get(signed("getMeetings", algorithm="sha512")))
        assert text(refused, "returncode") == "FAILED"
        assert text(refused, "messageKey") == "checksumError"
        assert text(xml(await api.get(signed("getMeetings", algorithm="sha256"))), "returncode") == "SUCCESS"
