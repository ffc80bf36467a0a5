"""The `undersign` command line."""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from undersign import auth, create_app, demo, export, logs, petitions, retention, sealing
from undersign.api.params import moment
from undersign.config import LOOPBACK_HOSTS, ConfigError
from undersign.db import database
from undersign.models import Petition

F = TypeVar("F", bound=Callable[..., Any])


class _Commands(click.Group):
    """A group whose failures are one line on stderr, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as error:
            raise click.ClickException(str(error)) from None
        except SQLAlchemyError as error:
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            raise click.ClickException(f"database error: {reason}") from None
        except OSError as error:
            raise click.ClickException(str(error)) from None


def _app() -> Flask:
    ctx = click.get_current_context()
    root = ctx.find_root()
    if root.obj is None:
        root.obj = create_app()
    return root.obj


@click.group(cls=_Commands)
def main() -> None:
    """Undersign: petitions, email-verified signatures, exports."""
    logs.configure()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--no-mailer", is_flag=True, help="Leave sending to a separate `undersign mailer`.")
def serve(host: str, port: int, workers: int, no_mailer: bool) -> None:
    """Serve with gunicorn, and run the mailer beside it."""
    if host not in LOOPBACK_HOSTS and not os.environ.get("UNDERSIGN_SECRET_KEY"):
        raise click.ClickException(
            f"refusing to serve on {host} without UNDERSIGN_SECRET_KEY: "
            "a generated development key must not sign real links"
        )
    from undersign.server import Supervisor, prepare_metrics_dir, remove_metrics_dir, run_gunicorn

    # gunicorn's workers are forks of this process, and one that exits leaves
    # through these `finally` clauses too: only the master may stop the mailer
    # and remove the metrics directory every process shares.
    master = os.getpid()
    metrics_dir = prepare_metrics_dir()  # before the app imports prometheus_client
    try:
        _app()  # fail here, in one line, on bad configuration
        # The mailer runs in a process of its own, started again should it die:
        # signatures keep being taken meanwhile, and their emails wait in the outbox.
        command = [sys.executable, "-m", "undersign", "mailer"]
        mailer = None if no_mailer else Supervisor("mailer", command).start()
        try:
            run_gunicorn(host, port, workers)
        finally:
            if mailer is not None and os.getpid() == master:
                mailer.stop()
    finally:
        if os.getpid() == master:
            remove_metrics_dir(metrics_dir)


@main.command()
def mailer() -> None:
    """Send the outbox's messages until stopped."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    # Imported here, not above: `serve` must choose where metrics live first.
    from undersign.mail import worker

    worker.run(_app(), stop)


@main.group()
def db() -> None:
    """The database schema."""


@db.command()
def upgrade() -> None:
    """Apply the migrations up to the newest."""
    database(_app()).upgrade()
    click.echo("database is up to date")


@main.group()
def petition() -> None:
    """Create and list petitions."""


@petition.command("create")
@click.argument("slug")
@click.option("--title", required=True)
@click.option("--goal", type=click.IntRange(min=1))
@click.option("--summary", default="")
@click.option("--body-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--target", default="", help="Whom the appeal addresses.")
@click.option("--lang", default="en", type=click.Choice(["en", "ru", "kk"]), show_default=True)
@click.option(
    "--seal-key",
    metavar="PUBLIC_KEY",
    help="Seal signers' data to this public key (`undersign keys generate` prints it).",
)
def create_petition(
    slug: str,
    title: str,
    goal: int | None,
    summary: str,
    body_file: Path | None,
    target: str,
    lang: str,
    seal_key: str | None,
) -> None:
    """Create a petition and print it as JSON."""
    body = body_file.read_text("utf-8") if body_file else ""
    texts = {lang: {"title": title, "summary": summary, "body": body, "target": target}}
    with database(_app()).sessions() as session:
        try:
            created = petitions.create(
                session, slug, texts, by=auth.CLI, goal=goal, default_locale=lang, seal_key=seal_key
            )
        except petitions.InvalidPetition as error:
            raise click.ClickException(str(error)) from None
        click.echo(json.dumps(petitions.describe(created, lang, 0), ensure_ascii=False, indent=2))


@petition.command("list")
def list_petitions() -> None:
    """List every petition: slug, status, title."""
    with database(_app()).sessions() as session:
        for found in session.scalars(select(Petition).order_by(Petition.created_at)):
            click.echo(f"{found.slug}\t{found.status}\t{found.text(found.default_locale)['title']}")


@main.command("demo")
def seed_demo() -> None:
    """Create the demo petition unless it exists (safe to run again)."""
    with database(_app()).sessions() as session:
        created = demo.seed(session)
    click.echo(f"demo petition {'created' if created else 'already there'}: /p/{demo.SLUG}")


def _moment(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """Read --since and --until as the API reads its since= and until=."""
    if value is None:
        return None
    try:
        return moment(value, until=param.name == "until")
    except ValueError:
        raise click.BadParameter("use an ISO date like 2026-11-27") from None


@main.command("export")
@click.argument("slug")
@click.option("--format", "fmt", default="csv", type=click.Choice(export.FORMATS))
@click.option("--status", default="verified", type=click.Choice(export.STATUSES))
@click.option("--source", default=None, help="Only what this partner collected.")
@click.option("--since", callback=_moment, help="Signed on or after this date (UTC).")
@click.option("--until", callback=_moment, help="Signed up to this date, included (UTC).")
@click.option("-o", "output", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export_command(
    slug: str,
    fmt: str,
    status: str,
    source: str | None,
    since: datetime | None,
    until: datetime | None,
    output: Path | None,
) -> None:
    """Stream a petition's signatures as CSV or JSONL."""
    sessions = database(_app()).sessions
    filters = export.Filters(status=status, source=source, since=since, until=until)
    try:
        with sessions() as log:
            snapshot = export.open_snapshot(
                sessions, log, slug, filters, auth.CLI, "export", format=fmt
            )
    except petitions.PetitionNotFound:
        raise click.ClickException(f"no petition called {slug!r}") from None
    chunks = snapshot.stream(fmt)
    try:
        if output is None:
            for chunk in chunks:
                sys.stdout.write(chunk)
        else:
            with output.open("w", encoding="utf-8", newline="") as out:
                out.writelines(chunks)
    finally:
        snapshot.close()


@main.group()
def token() -> None:
    """Organiser API tokens."""


@token.command("create")
@click.argument("name")
@click.option("--partner", metavar="SOURCE", help="Limit the token to what this partner collected.")
def create_token(name: str, partner: str | None) -> None:
    """Make a token and print it once, alone on the last line: only its hash is kept."""
    with database(_app()).sessions() as session:
        try:
            made = auth.create(session, name, partner, by=auth.CLI)
        except auth.TokenError as error:
            raise click.ClickException(str(error)) from None
    scope = f"partner {partner!r}" if partner else "every petition"
    click.echo(f"token {name!r} for {scope}; copy it now, it is not shown again:", err=True)
    click.echo(made)


@token.command("list")
def list_tokens() -> None:
    """List tokens: name, partner, created, last used, revoked."""
    with database(_app()).sessions() as session:
        for found in auth.listed(session):
            when = [found.created_at, found.last_used_at, found.revoked_at]
            dates = [at.isoformat(timespec="seconds") if at else "-" for at in when]
            click.echo("\t".join([found.name, found.partner or "*", *dates]))


@token.command("revoke")
@click.argument("name")
def revoke_token(name: str) -> None:
    """Revoke a token at once: it answers 401 from now on."""
    with database(_app()).sessions() as session:
        try:
            auth.revoke(session, name, by=auth.CLI)
        except auth.TokenError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"token {name!r} revoked")


@main.command()
def purge() -> None:
    """Delete what is no longer needed: unconfirmed signatures, expired address hashes."""
    with database(_app()).sessions() as session:
        done = retention.purge(session)
    click.echo(", ".join(f"{what}: {n}" for what, n in done.items()))


@main.group()
def keys() -> None:
    """Keys that seal a petition's signers' data."""


@keys.command("generate")
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The key file."
)
@click.option("--passphrase", is_flag=True, help="Ask for a passphrase to protect the file.")
def generate_key(out: Path, passphrase: bool) -> None:
    """Write a new private key (mode 0600) and print its public key alone on the last line."""
    secret = None
    if passphrase:
        secret = click.prompt("Passphrase", hide_input=True, confirmation_prompt=True, err=True)
    made = sealing.generate(secret)
    try:
        sealing.write_key_file(out, made.text)
    except FileExistsError:
        raise click.ClickException(
            f"{out} exists already; a key file is never overwritten"
        ) from None
    click.echo(
        f"private key written to {out}: keep a copy offline; losing it means losing the data "
        "sealed to it. The public key, for `petition create --seal-key`:",
        err=True,
    )
    click.echo(made.public)


@main.command("decrypt")
@click.option(
    "--key",
    "key_files",
    required=True,
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A key file; repeat for every key the export's values may be sealed to.",
)
@click.option(
    "-i", "source", default="-", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path)
)
@click.option(
    "-o", "output", default="-", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path)
)
def decrypt(key_files: tuple[Path, ...], source: Path, output: Path) -> None:
    """Open a sealed CSV or JSONL export, offline: the plain export out."""
    private = []
    for path in key_files:
        try:
            private.append(sealing.load(path.read_text("utf-8"), partial(_passphrase, path)))
        except sealing.BadKey as error:
            raise click.ClickException(f"{path}: {error}") from None
    # newline="": a CSV cell may hold a line break, which the csv module reads and writes.
    dash = Path("-")
    reading = (
        io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline="")
        if source == dash
        else source.open(encoding="utf-8", newline="")
    )
    with reading:
        lines = export.opened(reading, private)
        try:
            if output == dash:
                for line in lines:
                    sys.stdout.write(line)
            else:
                with output.open("w", encoding="utf-8", newline="") as out:
                    out.writelines(lines)
        except sealing.BadKey as error:
            raise click.ClickException(str(error)) from None


def _passphrase(path: Path) -> str:
    return str(click.prompt(f"Passphrase for {path}", hide_input=True, err=True))
