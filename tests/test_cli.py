"""The ``vilt`` command: keys, migrations, and the demo a new user starts first."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from vilt.cli import app
from vilt.storage.secrets import SecretBox

runner = CliRunner()


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "VILT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "VILT_SECRET_KEY": SecretBox.generate_key(),
    }


def test_migrate_and_create_an_api_key(tmp_path: Path) -> None:
    env = _env(tmp_path)
    migrated = runner.invoke(app, ["migrate"], env=env)
    assert migrated.exit_code == 0, migrated.output
    assert "database at revision" in migrated.output
    created = runner.invoke(app, ["apikey", "create", "--account", "Acme LMS"], env=env)
    assert created.exit_code == 0, created.output
    assert re.search(r"^API key: vilt_\w+_\S+$", created.output, re.M)
    second = runner.invoke(app, ["apikey", "create", "--account", "Acme LMS", "--name", "ci"], env=env)
    assert second.output.splitlines()[0] == created.output.splitlines()[0]  # the same account


def test_serve_without_a_secret_key_says_how_to_make_one(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["serve"], env={"VILT_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "VILT_SECRET_KEY": ""}
    )
    assert result.exit_code == 1
    assert "vilt secret-key" in result.output
    key = runner.invoke(app, ["secret-key"])
    SecretBox.from_setting(key.output.strip())  # a usable key


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_demo_starts_prints_a_key_and_serves_the_lifecycle(tmp_path: Path) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "vilt.cli", "demo", "--port", str(port), "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "VILT_LOG_LEVEL": "warning"},
    )
    try:
        output = ""
        deadline = time.monotonic() + 60
        assert process.stdout is not None
        while "Press Ctrl+C" not in output and time.monotonic() < deadline:
            output += process.stdout.readline()
        key = re.search(r"^\s*API key: (\S+)$", output, re.M)
        session = re.search(r"export S=(\S+) L1=(\S+)", output)
        assert key, output
        assert session, output
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        headers = {"Authorization": f"Bearer {key.group(1)}"}
        early = httpx.post(
            f"{base}/api/v1/sessions/{session.group(1)}/launch",
            headers=headers,
            json={"user_id": session.group(2)},
        )
        assert early.status_code == 409
        assert "opens_at" in early.json()
        detail = httpx.get(f"{base}/api/v1/sessions/{session.group(1)}", headers=headers).json()
        assert detail["provider"]["state"] == "synced"
        assert detail["enrollments"] == {"registered": 3, "waitlisted": 1}
        others = re.search(r"export Z=(\S+) T=(\S+)", output)
        assert others, output
        for other in others.groups():
            synced = httpx.get(f"{base}/api/v1/sessions/{other}", headers=headers).json()
            assert synced["provider"]["state"] == "synced", synced
        zoom_learners = httpx.get(
            f"{base}/api/v1/sessions/{others.group(1)}/enrollments", headers=headers
        ).json()
        assert [e["has_personal_url"] for e in zoom_learners["items"]] == [True, True, True]
        assert "Vilt is running" in httpx.get(f"{base}/").text
        assert "password for everyone: vilt-demo" in output
        assert re.search(r"^\s+administrator\s+admin@demo.vilt.test$", output, re.M)
        signin = httpx.get(f"{base}/signin")
        token = re.search(r'name="signin_token" value="([^"]+)"', signin.text)
        assert token
        signed = httpx.post(
            f"{base}/signin",
            data={"email": "irene@demo.vilt.test", "password": "vilt-demo", "signin_token": token.group(1)},
            cookies=signin.cookies,
        )
        assert signed.status_code == 303
        assert "Getting started with Vilt" in httpx.get(f"{base}/events", cookies=signed.cookies).text
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_person_gets_a_password_from_the_command_line(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert runner.invoke(app, ["apikey", "create", "--account", "Acme LMS"], env=env).exit_code == 0
    created = runner.invoke(
        app,
        ["user", "create", "root@acme.test", "--account", "Acme LMS", "--name", "Root", "--role", "admin"],
        env={**env, "VILT_PASSWORD": "first-password"},
    )
    assert created.exit_code == 0, created.output
    assert "(root@acme.test, admin)" in created.output
    reset = runner.invoke(
        app,
        ["user", "set-password", "ROOT@acme.test", "--account", "Acme LMS"],
        env=env,
        input="second-pw!\nsecond-pw!\n",
    )
    assert reset.exit_code == 0, reset.output
    assert "Password set for ROOT@acme.test." in reset.output
    short = runner.invoke(
        app,
        ["user", "set-password", "root@acme.test", "--account", "Acme LMS"],
        env={**env, "VILT_PASSWORD": "short"},
    )
    assert short.exit_code == 1
    assert "at least 8 characters" in short.output
    nobody = runner.invoke(
        app,
        ["user", "set-password", "ghost@acme.test", "--account", "Acme LMS"],
        env={**env, "VILT_PASSWORD": "long-enough"},
    )
    assert nobody.exit_code == 1
    assert "Nobody in account 'Acme LMS' has the address ghost@acme.test." in nobody.output
