"""Organiser API tokens: create, list, revoke."""

from __future__ import annotations

import click

from undersign.cli.context import current_app
from undersign.core import auth
from undersign.core.db import database


@click.group()
def token() -> None:
    """Organiser API tokens."""


@token.command("create")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice([role.value for role in auth.Role]),
    help="What the token may do (default owner): see docs/organising.md.",
)
@click.option(
    "--petition",
    "petitions",
    metavar="SLUG",
    multiple=True,
    help="Limit the token to this petition; repeat for more (default: every petition).",
)
@click.option("--partner", metavar="SOURCE", help="Limit the token to what this partner collected.")
def create_token(
    name: str, role: str | None, petitions: tuple[str, ...], partner: str | None
) -> None:
    """Make a token and print it once, alone on the last line: only its hash is kept."""
    with database(current_app()).sessions() as session:
        try:
            made = auth.create(session, name, partner, by=auth.CLI, role=role, petitions=petitions)
        except auth.TokenError as error:
            raise click.ClickException(str(error)) from None
    who = f"partner {partner!r}" if partner else (role or auth.Role.OWNER)
    scope = ", ".join(sorted(set(petitions))) if petitions else "every petition"
    click.echo(f"token {name!r} ({who}) for {scope}; copy it now, it is not shown again:", err=True)
    click.echo(made)


@token.command("list")
def list_tokens() -> None:
    """List tokens: name, partner, created, last used, revoked, role, petitions.

    Role and petitions come last, so that scripts reading the older five columns still work.
    """
    with database(current_app()).sessions() as session:
        for found in auth.listed(session):
            when = [found.created_at, found.last_used_at, found.revoked_at]
            dates = [at.isoformat(timespec="seconds") if at else "-" for at in when]
            reach = ",".join(found.petitions) if found.petitions is not None else "*"
            row = [found.name, found.partner or "*", *dates, found.role, reach]
            click.echo("\t".join(row))


@token.command("revoke")
@click.argument("name")
def revoke_token(name: str) -> None:
    """Revoke a token at once: it answers 401 from now on."""
    with database(current_app()).sessions() as session:
        try:
            auth.revoke(session, name, by=auth.CLI)
        except auth.TokenError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"token {name!r} revoked")
