"""Schemathesis against our own OpenAPI document: whatever a client sends, the server answers
with a documented status and never a 500. Runs against the real demo server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.test_cli import _free_port


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    port = _free_port()
    data = tmp_path_factory.mktemp("fuzz")
    process = subprocess.Popen(
        [sys.executable, "-m", "vilt.cli", "demo", "--port", str(port), "--data-dir", str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "VILT_LOG_LEVEL": "error"},
    )
    assert process.stdout is not None
    output = ""
    while "Press Ctrl+C" not in output and process.poll() is None:
        output += process.stdout.readline()
    key = re.search(r"^\s*API key: (\S+)$", output, re.M)
    assert key, output
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(f"{base}/healthz")
            break
        except httpx.TransportError:
            continue
    yield base, key.group(1)
    process.terminate()
    process.wait(timeout=10)


def test_no_request_makes_the_server_fail(demo_server: tuple[str, str]) -> None:
    base, key = demo_server
    schemathesis_cli = Path(sys.executable).with_name("schemathesis")
    run = subprocess.run(
        [
            str(schemathesis_cli),
            "run",
            f"{base}/openapi.json",
            "-H",
            f"Authorization: Bearer {key}",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "15",
            "--seed",
            "1",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-4000:]


def test_every_error_is_problem_json(demo_server: tuple[str, str], tmp_path: Path) -> None:
    base, key = demo_server
    response = httpx.post(f"{base}/api/v1/users", headers={"Authorization": f"Bearer {key}"}, json={})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
