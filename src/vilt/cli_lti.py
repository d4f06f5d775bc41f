"""``vilt lti``: LTI platform registrations, Dynamic Registration links, the tool's keys."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from vilt.core.errors import DomainError
from vilt.runtime import Runtime
from vilt.services import accounts
from vilt.services.context import Actor
from vilt.services.lti import keys, platforms, registration
from vilt.services.lti.platforms import PlatformInput
from vilt.storage.repositories import lti as repo

T = TypeVar("T")
CLI = Actor("system", "cli", "cli")

lti_app = typer.Typer(help="The LTI 1.3 tool: platforms, registration links, keys.", no_args_is_help=True)
platform_app = typer.Typer(help="LMS platforms that may launch Vilt.", no_args_is_help=True)
key_app = typer.Typer(help="Vilt's own signing keys (its JWKS).", no_args_is_help=True)
lti_app.add_typer(platform_app, name="platform")
lti_app.add_typer(key_app, name="key")

Account = Annotated[str, typer.Option(help="Account name or id.")]


def _in_transaction(work: Callable[[Runtime, AsyncSession], Awaitable[T]]) -> T:
    from vilt import cli  # the shared helpers of the command line

    settings = cli._settings()
    runtime = cli._runtime(settings)

    async def main() -> T:
        await cli._ensure_schema(runtime.db, auto=settings.is_sqlite)
        try:
            async with runtime.db.transaction() as tx:
                return await work(runtime, tx)
        finally:
            await runtime.aclose()

    try:
        return cli._run(main())
    except DomainError as exc:
        cli._fail(exc.detail)
        raise AssertionError from exc


@platform_app.command("add")
def platform_add(
    account: Account,
    issuer: Annotated[str, typer.Option(help="The platform's issuer (iss).")],
    client_id: Annotated[str, typer.Option(help="The client id the platform gave Vilt.")],
    auth_url: Annotated[str, typer.Option(help="OIDC authorization (login) endpoint.")],
    token_url: Annotated[str, typer.Option(help="OAuth2 token endpoint.")],
    jwks_url: Annotated[str, typer.Option(help="The platform's key set URL.")],
    deployment_id: Annotated[list[str], typer.Option(help="A deployment id (repeat for several).")],
    name: Annotated[str | None, typer.Option(help="A label.")] = None,
    product: Annotated[str, typer.Option(help="moodle, canvas, blackboard...")] = "",
) -> None:
    """Register an LMS platform for an account."""

    async def work(runtime: Runtime, tx: AsyncSession) -> None:
        found = await accounts.find_account(tx, account)
        row = await platforms.create(
            runtime.ctx,
            tx,
            found.id,
            PlatformInput(
                name=name,
                issuer=issuer,
                client_id=client_id,
                deployment_ids=deployment_id,
                auth_login_url=auth_url,
                token_url=token_url,
                jwks_url=jwks_url,
                product=product,
            ),
            CLI,
        )
        typer.echo(f"Platform: {row.id} ({row.name})")
        for label, path in (
            ("Login URL", "/lti/login"),
            ("Launch/redirect URL", "/lti/launch"),
            ("JWKS URL", "/lti/jwks"),
        ):
            typer.echo(f"{label}: {runtime.ctx.url(path)}")

    _in_transaction(work)


@platform_app.command("list")
def platform_list(account: Account) -> None:
    """The account's platforms."""

    async def work(runtime: Runtime, tx: AsyncSession) -> None:
        found = await accounts.find_account(tx, account)
        for row in (await tx.scalars(repo.platforms_listing(found.id))).all():
            state = "active" if row.active else "inactive"
            deployments = ",".join(row.deployment_ids) or "-"
            typer.echo(f"{row.id}  {row.issuer}  client={row.client_id}  deployments={deployments}  {state}")

    _in_transaction(work)


@lti_app.command("registration-url")
def registration_url(account: Account) -> None:
    """A one-time Dynamic Registration URL to paste into the LMS (valid 7 days)."""

    async def work(runtime: Runtime, tx: AsyncSession) -> None:
        found = await accounts.find_account(tx, account)
        url, expires = await registration.create_link(runtime.ctx, tx, found.id)
        typer.echo(f"Registration URL: {url}")
        typer.echo(f"Valid until: {expires.isoformat()}")

    _in_transaction(work)


@key_app.command("list")
def key_list() -> None:
    """The tool's keys: which signs, until when retired ones are published."""

    async def work(runtime: Runtime, tx: AsyncSession) -> None:
        await keys.ensure_key(runtime.ctx, tx)
        for key in await repo.tool_keys(tx):
            state = "signing" if key.retired_at is None else f"retired, published until {key.expires_at}"
            typer.echo(f"{key.kid}  created {key.created_at.isoformat()}  {state}")

    _in_transaction(work)


@key_app.command("rotate")
def key_rotate(
    keep_old_for_hours: Annotated[float, typer.Option(help="How long the old key stays published.")] = 72,
) -> None:
    """Make a new signing key; the old one stays in the key set for a while."""

    async def work(runtime: Runtime, tx: AsyncSession) -> None:
        key = await keys.rotate(runtime.ctx, tx, timedelta(hours=keep_old_for_hours))
        typer.echo(f"New signing key: {key.kid}")

    _in_transaction(work)
