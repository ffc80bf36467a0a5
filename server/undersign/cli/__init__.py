"""The `undersign` command line."""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from undersign import create_app
from undersign.campaigns import demo, images, news, petitions
from undersign.core import logs, sealing
from undersign.core.cache import get_cache
from undersign.core.config import LOOPBACK_HOSTS, ConfigError
from undersign.core.db import database
from undersign.core.i18n import LOCALES
from undersign.core.models import Petition, WallMode
from undersign.organisers import auth, export, paper
from undersign.signers import retention
from undersign.web.params import moment

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
    from undersign.cli.serve import (
        Supervisor,
        prepare_metrics_dir,
        remove_metrics_dir,
        run_gunicorn,
    )

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
@click.option(
    "--body-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The full text in Markdown (headings, lists, links, emphasis), UTF-8.",
)
@click.option("--target", default="", help="Whom the appeal addresses.")
@click.option(
    "--lang",
    default="en",
    type=click.Choice(LOCALES),
    show_default=True,
    help="The texts' language, and the petition's default one.",
)
@click.option(
    "--seal-key",
    metavar="PUBLIC_KEY",
    help="Seal signers' data to this public key (`undersign keys generate` prints it).",
)
@click.option("--organiser-name", help="Who runs the campaign, named in the privacy notice.")
@click.option(
    "--organiser-contact", help="How signers reach them: an email address or https:// page."
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
    organiser_name: str | None,
    organiser_contact: str | None,
) -> None:
    """Create a petition and print it as JSON."""
    body = body_file.read_text("utf-8") if body_file else ""
    texts = {lang: {"title": title, "summary": summary, "body": body, "target": target}}
    with database(_app()).sessions() as session:
        try:
            created = petitions.create(
                session,
                slug,
                texts,
                by=auth.CLI,
                goal=goal,
                default_locale=lang,
                seal_key=seal_key,
                organiser_name=organiser_name or None,
                organiser_contact=organiser_contact or None,
            )
        except petitions.InvalidPetition as error:
            raise click.ClickException(str(error)) from None
        click.echo(json.dumps(petitions.describe(created, lang, 0), ensure_ascii=False, indent=2))


@petition.command("translate")
@click.argument("slug")
@click.option("--lang", required=True, type=click.Choice(LOCALES))
@click.option("--title")
@click.option("--summary")
@click.option(
    "--body-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The full text in Markdown (headings, lists, links, emphasis), UTF-8.",
)
@click.option("--target", help="Whom the appeal addresses.")
def translate_petition(
    slug: str,
    lang: str,
    title: str | None,
    summary: str | None,
    body_file: Path | None,
    target: str | None,
) -> None:
    """Set a petition's texts in one language; what is not given keeps its text, "" removes it."""
    body = body_file.read_text("utf-8") if body_file else None
    given = {"title": title, "summary": summary, "body": body, "target": target}
    fields = {name: value for name, value in given.items() if value is not None}
    if not fields:
        raise click.UsageError("give at least one of --title, --summary, --body-file, --target")
    with database(_app()).sessions() as session:
        try:
            found = petitions.find(session, slug)
            petitions.translate(session, found, lang, fields, by=auth.CLI)
        except petitions.PetitionNotFound:
            raise click.ClickException(f"no petition called {slug!r}") from None
        except petitions.InvalidPetition as error:
            raise click.ClickException(str(error)) from None
        shown = petitions.describe(found, lang, 0)
        del shown["signature_count"]  # not counted here: this command is about texts
        click.echo(json.dumps(shown, ensure_ascii=False, indent=2))


@petition.command("set")
@click.argument("slug")
@click.option("--organiser-name", help='Who runs the campaign; "" to name nobody.')
@click.option("--organiser-contact", help='An email address or https:// page; "" for none.')
@click.option(
    "--named-default/--no-named-default",
    default=None,
    help="Whether the form's box to be named on the list handed to the addressee starts ticked.",
)
@click.option(
    "--wall-mode",
    type=click.Choice([mode.value for mode in WallMode]),
    help="approve: entries wait for an organiser; show: shown at once until hidden.",
)
def set_petition(
    slug: str,
    organiser_name: str | None,
    organiser_contact: str | None,
    named_default: bool | None,
    wall_mode: str | None,
) -> None:
    """Change who runs a petition and how it treats signers; what is not given stays."""
    given = {
        "organiser_name": organiser_name,
        "organiser_contact": organiser_contact,
        "named_default": named_default,
        "wall_mode": wall_mode,
    }
    policy = {name: _none_if_empty(value) for name, value in given.items() if value is not None}
    if not policy:
        raise click.UsageError(
            "give at least one of --organiser-name, --organiser-contact, "
            "--named-default/--no-named-default, --wall-mode"
        )
    app = _app()
    with database(app).sessions() as session:
        found = _petition(session, slug)
        try:
            petitions.edit(
                session,
                get_cache(app),
                found,
                by=auth.CLI,
                changed=policy,
                texts=found.texts,
                goal=found.goal,
                closes_at=found.closes_at,
                default_locale=found.default_locale,
                **policy,
            )
        except petitions.InvalidPetition as error:
            raise click.ClickException(str(error)) from None
        settings = {name: getattr(found, name) for name in given}
        click.echo(json.dumps({"slug": found.slug, **settings}, ensure_ascii=False, indent=2))


def _none_if_empty(value: object) -> object:
    """Read "" as none: a cleared name or contact, so the notice says nobody is named."""
    return None if value == "" else value


@petition.command("image")
@click.argument("slug")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--alt",
    "alts",
    multiple=True,
    metavar="LANG=TEXT",
    help="What the picture shows, for screen readers: once per language (--alt ru=…).",
)
@click.option("--remove", is_flag=True, help="Take the picture away; previews show the card.")
def petition_image(slug: str, file: Path | None, alts: tuple[str, ...], remove: bool) -> None:
    """Set a petition's picture from FILE (JPEG, PNG or WebP), re-encoded without metadata."""
    if remove == (file is not None):
        raise click.UsageError("give either FILE or --remove")
    alt = {lang: text for lang, _, text in (a.partition("=") for a in alts)}
    with database(_app()).sessions() as session:
        try:
            found = petitions.find(session, slug)
            if file is None:  # --remove
                images.remove(session, found, by=auth.CLI)
                click.echo(f"removed the picture of {slug}")
                return
            with file.open("rb") as upload:  # a byte more than allowed is enough to refuse it
                data = upload.read(images.MAX_UPLOAD_BYTES + 1)
            row = images.store(session, found, data, by=auth.CLI)
            if alt:
                row = images.describe_alt(session, found, alt, by=auth.CLI)
        except petitions.PetitionNotFound:
            raise click.ClickException(f"no petition called {slug!r}") from None
        except images.NoImage:
            raise click.ClickException(f"{slug} has no picture") from None
        except images.InvalidImage as error:
            raise click.ClickException(f"{error.field}: {error}") from None
        click.echo(json.dumps(images.describe(row, slug), ensure_ascii=False, indent=2))


@petition.command("news")
@click.argument("slug")
@click.option("--title", required=True)
@click.option(
    "--body-file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The update in Markdown, UTF-8.",
)
@click.option("--lang", default="en", type=click.Choice(LOCALES), show_default=True)
def petition_news(slug: str, title: str, body_file: Path, lang: str) -> None:
    """Post an update on a petition's page ("we delivered the signatures") and print it."""
    texts = {lang: {"title": title, "body": body_file.read_text("utf-8")}}
    with database(_app()).sessions() as session:
        try:
            posted = news.post(session, petitions.find(session, slug), texts, by=auth.CLI)
        except petitions.PetitionNotFound:
            raise click.ClickException(f"no petition called {slug!r}") from None
        except news.InvalidNews as error:
            raise click.ClickException(str(error)) from None
        click.echo(json.dumps(news.describe(posted), ensure_ascii=False, indent=2))


@petition.command("list")
def list_petitions() -> None:
    """List every petition: slug, status (closed once its closing time passed), title."""
    now = datetime.now(UTC)
    with database(_app()).sessions() as session:
        for found in session.scalars(select(Petition).order_by(Petition.created_at)):
            status = "open" if found.is_open(now) else "closed"
            click.echo(f"{found.slug}\t{status}\t{found.text(found.default_locale)['title']}")


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
@click.option("--bom", is_flag=True, help="Start a CSV with a byte-order mark, for Excel.")
@click.option("--lang", type=click.Choice(LOCALES), help="Country names' language.")
@click.option("-o", "output", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export_command(
    slug: str,
    fmt: str,
    status: str,
    source: str | None,
    since: datetime | None,
    until: datetime | None,
    bom: bool,
    lang: str | None,
    output: Path | None,
) -> None:
    """Stream a petition's signatures as CSV, XLSX or JSONL."""
    if fmt == "xlsx" and output is None and sys.stdout.isatty():
        raise click.UsageError("an XLSX export is a file: give -o FILE")
    sessions = database(_app()).sessions
    filters = export.Filters(status=status, source=source, since=since, until=until)
    try:
        with sessions() as log:
            snapshot = export.open_snapshot(
                sessions, log, slug, filters, auth.CLI, "export", format=fmt
            )
    except petitions.PetitionNotFound:
        raise click.ClickException(f"no petition called {slug!r}") from None
    chunks = snapshot.stream(export.Layout(fmt=fmt, bom=bom, locale=lang))
    try:
        if output is None:
            sys.stdout.flush()
            for chunk in chunks:
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
        else:
            with output.open("wb") as out:
                out.writelines(chunks)
    finally:
        snapshot.close()


@main.group("paper")
def paper_group() -> None:
    """Signatures collected on paper: counts from the sheets and typed-in lists."""


def _read(check: Callable[[object], Any], value: object) -> Any:
    try:
        return check(value)
    except ValueError as problem:
        raise click.BadParameter(str(problem)) from None


@paper_group.command("add")
@click.argument("slug")
@click.option("--count", type=click.IntRange(1, paper.MAX_COUNT), required=True)
@click.option("--country", required=True, help="An ISO code (KZ) or a country's name.")
@click.option("--date", "day", required=True, help="The day they signed: 2026-11-28.")
@click.option("--note", help="Where, or which sheets: plant gate, morning shift.")
def add_paper(slug: str, count: int, country: str, day: str, note: str | None) -> None:
    """Add how many signed on paper in a country on a day."""
    code, signed_on = _read(paper.country, country), _read(paper.day, day)
    app = _app()
    with database(app).sessions() as session:
        batch = paper.add_count(
            session,
            get_cache(app),
            _petition(session, slug),
            count=count,
            country_code=code,
            signed_on=signed_on,
            note=_read(paper.note, note),
            by=auth.CLI,
        )
        click.echo(f"added {count} signatures on paper ({code}, {signed_on}): batch {batch.id}")


@paper_group.command("import")
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--note", help="Where the sheets come from.")
@click.option("--commit", is_flag=True, help="Store the list; without it, only check it.")
def import_paper(slug: str, file: Path, note: str | None, commit: bool) -> None:
    """Check a typed-in list (CSV: name, city, country, date, named); store it with --commit."""
    try:
        found = paper.read_csv(file.read_bytes().decode("utf-8", errors="replace"))
    except paper.InvalidPaper as unreadable:
        raise click.ClickException(str(unreadable)) from None
    for problem in found.problems:
        click.echo(f"line {problem.line}: {problem.message}", err=True)
    click.echo(f"{len(found.entries)} signers read, {len(found.problems)} problems")
    if found.problems:
        raise click.ClickException("nothing stored: fix the lines above")
    if commit and found.entries:
        app = _app()
        with database(app).sessions() as session:
            petition = _petition(session, slug)
            batch = paper.add_list(
                session, get_cache(app), petition, found.entries, note=note, by=auth.CLI
            )
            click.echo(f"stored as batch {batch.id}")


def _petition(session: Any, slug: str) -> Petition:
    try:
        return petitions.find(session, slug)
    except petitions.PetitionNotFound:
        raise click.ClickException(f"no petition called {slug!r}") from None


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
