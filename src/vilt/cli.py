"""The ``vilt`` command: serve, worker, migrate, demo, sandbox, API keys, checks."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from vilt import logs
from vilt.clock import AdjustableClock
from vilt.core.errors import DomainError, NotFound
from vilt.core.identity import normalize_email
from vilt.demo import seed_demo, tour_text
from vilt.runtime import Runtime, build_runtime
from vilt.sandbox.registry import SIMULATORS
from vilt.services import accounts, passwords, users
from vilt.services import integrations as integrations_service
from vilt.services.context import SYSTEM
from vilt.services.users import UserInput
from vilt.settings import Settings
from vilt.storage import migrate as migrations
from vilt.storage.db import Database
from vilt.storage.repositories import users as users_repo
from vilt.storage.secrets import SecretBox, SecretKeyError
from vilt.web.site import create_site

T = TypeVar("T")

app = typer.Typer(
    help="Vilt: the open connector between learning platforms and live virtual classrooms.",
    no_args_is_help=True,
    add_completion=False,
)
apikey_app = typer.Typer(help="API keys for an account.", no_args_is_help=True)
account_app = typer.Typer(help="Accounts (tenants).", no_args_is_help=True)
integration_app = typer.Typer(help="Integrations.", no_args_is_help=True)
user_app = typer.Typer(help="People who sign in to the pages.", no_args_is_help=True)
app.add_typer(apikey_app, name="apikey")
app.add_typer(user_app, name="user")
app.add_typer(account_app, name="account")
app.add_typer(integration_app, name="integration")

Host = Annotated[str, typer.Option(help="Interface to listen on.")]
Port = Annotated[int, typer.Option(help="Port to listen on.")]


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop where it is installed: a faster event loop for the server and the worker."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def _settings(**overrides: object) -> Settings:
    settings = Settings(**overrides)  # type: ignore[arg-type]
    logs.configure(settings.log_level, settings.log_json)
    return settings


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _runtime(settings: Settings) -> Runtime:
    try:
        return build_runtime(settings)
    except SecretKeyError as exc:
        _fail(str(exc))
        raise AssertionError from exc


async def _serve(runtime: Runtime, host: str, port: int, *, banner: str | None = None) -> None:
    application = create_site(runtime)
    config = uvicorn.Config(application, host=host, port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    if banner:
        typer.echo(banner)
    await server.serve()


async def _ensure_schema(db: Database, *, auto: bool) -> None:
    current, head = await migrations.current_revision(db), migrations.head_revision()
    if current == head:
        return
    if not auto:
        _fail(f"The database is at revision {current or 'none'}, the code needs {head}: run `vilt migrate`.")
    await migrations.upgrade(db)


@app.command()
def serve(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    migrate: Annotated[bool, typer.Option(help="Migrate the database first.")] = True,
) -> None:
    """Run the web server (and, embedded by default, the worker)."""
    settings = _settings()
    runtime = _runtime(settings)

    async def main() -> None:
        await _ensure_schema(runtime.db, auto=migrate)
        await _serve(runtime, host, port, banner=f"Vilt listening on http://{host}:{port}")

    _run(main())


@app.command()
def worker(once: Annotated[bool, typer.Option(help="Run one pass and exit.")] = False) -> None:
    """Run the worker alone (any number of them, on any machine, against PostgreSQL)."""
    settings = _settings()
    runtime = _runtime(settings)

    async def main() -> None:
        await _ensure_schema(runtime.db, auto=False)
        if once:
            report = await runtime.worker.run_pass()
            await runtime.ctx.launches.flush(runtime.db)
            typer.echo(f"claimed {report.claimed}, actions {report.actions}")
            await runtime.aclose()
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await runtime.worker.run_forever(stop, settings.worker_interval_seconds)
        await runtime.aclose()

    _run(main())


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    settings = _settings()

    async def main() -> None:
        db = Database(settings.database_url)
        await migrations.upgrade(db)
        typer.echo(f"database at revision {await migrations.current_revision(db)}")
        await db.dispose()

    _run(main())


@app.command("secret-key")
def secret_key() -> None:
    """Print a new key for VILT_SECRET_KEY (put the old key after it, comma-separated, to rotate)."""
    typer.echo(SecretBox.generate_key())


@app.command()
def demo(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    data_dir: Annotated[Path, typer.Option(help="Where the demo keeps its SQLite file.")] = Path(
        ".vilt-demo"
    ),
    speed: Annotated[
        float, typer.Option(help="How much faster than real time the sandbox clock runs.")
    ] = 1.0,
    keep: Annotated[
        bool, typer.Option(help="Keep the previous demo data instead of starting fresh.")
    ] = False,
) -> None:
    """Start the embedded demo: SQLite, every simulator, demo data; prints what to try."""
    data_dir.mkdir(parents=True, exist_ok=True)
    database = data_dir / "demo.db"
    key_file = data_dir / "secret.key"
    fresh = not keep or not database.exists()
    if fresh:
        for stale in data_dir.glob("demo.db*"):
            stale.unlink()
    if not key_file.exists():
        key_file.write_text(SecretBox.generate_key())
    base_url = f"http://{host}:{port}"
    settings = _settings(
        database_url=f"sqlite+aiosqlite:///{database.resolve()}",
        sandbox=True,
        base_url=base_url,
        secret_key=key_file.read_text().strip(),
        worker_interval_seconds=2.0,
    )
    runtime = build_runtime(settings, clock=AdjustableClock(speed=speed))

    async def main() -> None:
        await migrations.upgrade(runtime.db)
        create_site(runtime)  # routes our own base URL in process, so seeding can reach the simulators
        seeded = await seed_demo(runtime) if fresh else None
        banner = tour_text(base_url, seeded) if seeded else f"Vilt demo (kept data) at {base_url}"
        await _serve(runtime, host, port, banner=banner)

    _run(main())


@app.command()
def sandbox(host: Host = "127.0.0.1", port: Port = 8100) -> None:
    """Run the provider simulators alone, each under /<kind>/."""
    logs.configure()
    clock = AdjustableClock()
    base = f"http://{host}:{port}"
    simulators = {kind: cls(clock, public_base=f"{base}/{kind}") for kind, cls in SIMULATORS.items()}
    routes = [Mount(f"/{kind}", app=sim.app) for kind, sim in simulators.items()]
    for kind, simulator in simulators.items():
        settings = ", ".join(f"{k}={v}" for k, v in simulator.integration_settings().items())
        typer.echo(f"{kind} integration settings: {settings}")
    typer.echo(
        "Simulators:\n"
        + "\n".join(f"  {kind}: {base}/{kind}/  (control API: {base}/{kind}/_sim/)" for kind in simulators)
    )
    uvicorn.run(Starlette(routes=routes), host=host, port=port, log_level="warning")


@account_app.command("create")
def account_create(name: str) -> None:
    """Create an account and print its id."""
    settings = _settings()
    runtime = _runtime(settings)

    async def main() -> None:
        await _ensure_schema(runtime.db, auto=settings.is_sqlite)
        async with runtime.db.transaction() as tx:
            account = await accounts.create_account(runtime.ctx, tx, name)
        typer.echo(f"Account: {account.id} ({account.name})")
        await runtime.aclose()

    _run(main())


@apikey_app.command("create")
def apikey_create(
    account: Annotated[str, typer.Option(help="Account name or id; created if it does not exist.")],
    name: Annotated[str, typer.Option(help="A label for the key.")] = "api key",
) -> None:
    """Create an API key; it is printed once and stored only as a hash."""
    settings = _settings()
    runtime = _runtime(settings)

    async def main() -> None:
        await _ensure_schema(runtime.db, auto=settings.is_sqlite)
        async with runtime.db.transaction() as tx:
            try:
                found = await accounts.find_account(tx, account)
            except Exception:
                found = await accounts.create_account(runtime.ctx, tx, account)
            issued = await accounts.issue_api_key(runtime.ctx, tx, found.id, name)
        typer.echo(f"Account: {found.id} ({found.name})")
        typer.echo(f"API key: {issued.token}")
        await runtime.aclose()

    _run(main())


@integration_app.command("check")
def integration_check(
    integration_id: str,
    account: Annotated[str, typer.Option(help="Account name or id.")],
) -> None:
    """Check an integration's credentials with a real call."""
    import uuid

    settings = _settings()
    runtime = _runtime(settings)

    async def main() -> int:
        async with runtime.db.transaction() as tx:
            found = await accounts.find_account(tx, account)
            row, result = await integrations_service.check(
                runtime.ctx, tx, found.id, uuid.UUID(integration_id)
            )
        typer.echo(f"{row.name}: {'ok' if result.ok else 'FAILED'} - {result.reason}")
        await runtime.aclose()
        return 0 if result.ok else 2

    sys.exit(_run(main()))


Password = Annotated[
    str,
    typer.Option(
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        envvar="VILT_PASSWORD",
        help="Asked for when not given (or set VILT_PASSWORD); stored only as an argon2 hash.",
    ),
]


@user_app.command("create")
def user_create(
    email: str,
    account: Annotated[str, typer.Option(help="Account name or id.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    role: Annotated[list[str], typer.Option(help="admin, instructor or learner; repeat for several.")],
    password: Password,
    locale: Annotated[str, typer.Option(help="Language of the pages: en or ru.")] = "en",
    time_zone: Annotated[str, typer.Option(help="IANA time zone.")] = "UTC",
) -> None:
    """Create a person who signs in with a password (the first administrator, say)."""
    settings = _settings()
    runtime = _runtime(settings)

    async def main() -> None:
        await _ensure_schema(runtime.db, auto=settings.is_sqlite)
        async with runtime.db.transaction() as tx:
            found = await accounts.find_account(tx, account)
            user = await users.create(
                runtime.ctx,
                tx,
                found.id,
                UserInput(email=email, display_name=name, roles=role, locale=locale, time_zone=time_zone),
                SYSTEM,
            )
            await passwords.set_password(runtime.ctx, tx, found.id, user.id, password, SYSTEM)
        typer.echo(f"User: {user.id} ({user.email}, {', '.join(user.roles)})")
        await runtime.aclose()

    _run_or_fail(main())


@user_app.command("set-password")
def user_set_password(
    email: str,
    account: Annotated[str, typer.Option(help="Account name or id.")],
    password: Password,
) -> None:
    """Set (or reset) the password a person signs in to the pages with."""
    settings = _settings()
    runtime = _runtime(settings)

    async def main() -> None:
        await _ensure_schema(runtime.db, auto=settings.is_sqlite)
        async with runtime.db.transaction() as tx:
            found = await accounts.find_account(tx, account)
            user_id = await users_repo.owner_of_email(tx, found.id, normalize_email(email))
            if user_id is None:
                raise NotFound(f"Nobody in account '{found.name}' has the address {email}.")
            await passwords.set_password(runtime.ctx, tx, found.id, user_id, password, SYSTEM)
        typer.echo(f"Password set for {email}.")
        await runtime.aclose()

    _run_or_fail(main())


def _run_or_fail(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a command; a refusal from the services is printed as a sentence, not a traceback."""
    try:
        _run(coroutine)
    except DomainError as exc:
        _fail(exc.detail)


from vilt.cli_lti import lti_app  # noqa: E402 (it uses the helpers above)

app.add_typer(lti_app, name="lti")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
