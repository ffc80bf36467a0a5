"""What a petition collected: exports, and signatures gathered on paper."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from undersign.campaigns import paper, petitions
from undersign.cli.context import current_app, find_petition
from undersign.core import auth
from undersign.core.cache import get_cache
from undersign.core.db import database
from undersign.core.i18n import LOCALES
from undersign.organisers import export
from undersign.web.params import moment


def _moment(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """Read --since and --until as the API reads its since= and until=."""
    if value is None:
        return None
    try:
        return moment(value, until=param.name == "until")
    except ValueError:
        raise click.BadParameter("use an ISO date like 2026-11-27") from None


@click.command("export")
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
    sessions = database(current_app()).sessions
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


@click.group("paper")
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
    app = current_app()
    with database(app).sessions() as session:
        batch = paper.add_count(
            session,
            get_cache(app),
            find_petition(session, slug),
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
        app = current_app()
        with database(app).sessions() as session:
            petition = find_petition(session, slug)
            batch = paper.add_list(
                session, get_cache(app), petition, found.entries, note=note, by=auth.CLI
            )
            click.echo(f"stored as batch {batch.id}")
