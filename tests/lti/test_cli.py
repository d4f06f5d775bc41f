"""``vilt lti``: register a platform, hand out a registration URL, rotate the tool's key."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from vilt.cli import app
from vilt.storage.secrets import SecretBox

runner = CliRunner()


def test_lti_platforms_registration_urls_and_keys_from_the_command_line(tmp_path: Path) -> None:
    env = {
        "VILT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "VILT_SECRET_KEY": SecretBox.generate_key(),
    }
    assert runner.invoke(app, ["migrate"], env=env).exit_code == 0
    assert runner.invoke(app, ["account", "create", "School"], env=env).exit_code == 0
    added = runner.invoke(
        app,
        [
            "lti", "platform", "add", "--account", "School", "--issuer", "https://moodle.school.test",
            "--client-id", "abc123", "--auth-url", "https://moodle.school.test/mod/lti/auth.php",
            "--token-url", "https://moodle.school.test/mod/lti/token.php",
            "--jwks-url", "https://moodle.school.test/mod/lti/certs.php",
            "--deployment-id", "1", "--deployment-id", "2",
        ],
        env=env,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "JWKS URL: http://127.0.0.1:8000/lti/jwks" in added.output
    listed = runner.invoke(app, ["lti", "platform", "list", "--account", "School"], env=env)
    assert "client=abc123  deployments=1,2  active" in listed.output
    again = runner.invoke(
        app,
        ["lti", "platform", "add", "--account", "School", "--issuer", "https://moodle.school.test",
         "--client-id", "abc123", "--auth-url", "https://x.test/a", "--token-url", "https://x.test/t",
         "--jwks-url", "https://x.test/k", "--deployment-id", "1"],
        env=env,
    )  # fmt: skip
    assert again.exit_code == 1
    assert "already" in again.output
    url = runner.invoke(app, ["lti", "registration-url", "--account", "School"], env=env)
    assert re.search(r"^Registration URL: http://127\.0\.0\.1:8000/lti/register/\S+$", url.output, re.M)
    first = runner.invoke(app, ["lti", "key", "list"], env=env)
    assert first.output.count("signing") == 1
    rotated = runner.invoke(app, ["lti", "key", "rotate", "--keep-old-for-hours", "24"], env=env)
    assert rotated.exit_code == 0
    keys = runner.invoke(app, ["lti", "key", "list"], env=env).output
    assert keys.count("signing") == 1
    assert keys.count("retired, published until") == 1
