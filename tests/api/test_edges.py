"""The edges: authentication, problem documents, health, OpenAPI, sandbox-only endpoints."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Harness, make_harness


async def test_requests_without_a_valid_key_get_401_problem(harness: Harness) -> None:
    missing = await harness.client.get("/api/v1/users")
    assert missing.status_code == 401
    assert missing.headers["content-type"].startswith("application/problem+json")
    wrong = await harness.client.get("/api/v1/users", headers={"Authorization": "Bearer vilt_nope_nope"})
    assert wrong.status_code == 401


async def test_malformed_body_is_a_problem_naming_the_field(harness: Harness) -> None:
    response = await harness.post("/api/v1/users", {"email": "a@b.test"})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "display_name", "reason": "This field is required."}]
    unknown = await harness.post("/api/v1/users", {"email": "a@b.test", "display_name": "A", "shoe_size": 9})
    assert unknown.json()["errors"][0]["field"] == "shoe_size"
    not_uuid = await harness.get("/api/v1/sessions/not-a-uuid")
    assert not_uuid.json()["errors"][0]["field"] == "session_id"


async def test_health_readiness_landing_and_openapi(harness: Harness) -> None:
    assert (await harness.client.get("/healthz")).status_code == 200
    assert (await harness.client.get("/readyz")).json() == {"status": "ok"}
    landing = await harness.client.get("/")
    assert "Vilt is running" in landing.text
    assert 'href="/docs"' in landing.text
    assert "vilt_worker_pass_seconds" in (await harness.client.get("/metrics")).text
    spec = (await harness.client.get("/openapi.json")).json()
    assert "/api/v1/sessions/{session_id}/roster/update" in spec["paths"]
    assert "/api/v1/sandbox/clock" in spec["paths"]
    assert "vilt_" not in str(spec)


async def test_sandbox_endpoints_do_not_exist_outside_sandbox_mode(tmp_path: Path, sqlite_url: str) -> None:
    production = await make_harness(sqlite_url, sandbox=False)
    try:
        assert (await production.post("/api/v1/sandbox/clock", {"advance_seconds": 60})).status_code == 404
        assert (await production.post("/api/v1/sandbox/tick")).status_code == 404
        assert (await production.client.get("/sandbox/bigbluebutton/_sim/meetings")).status_code == 404
        spec = (await production.client.get("/openapi.json")).json()
        assert "/api/v1/sandbox/clock" not in spec["paths"]
    finally:
        await production.client.aclose()
        await production.runtime.aclose()
