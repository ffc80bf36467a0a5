"""Writing petitions from the command line: create, translate, set, picture, news, list."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy import select

from undersign.campaigns import images, news, petitions
from undersign.cli.context import current_app, find_petition
from undersign.core import auth
from undersign.core.cache import get_cache
from undersign.core.db import database
from undersign.core.i18n import LOCALES
from undersign.core.models import Petition, WallMode


@click.group()
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
    with database(current_app()).sessions() as session:
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
    with database(current_app()).sessions() as session:
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
    app = current_app()
    with database(app).sessions() as session:
        found = find_petition(session, slug)
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
    with database(current_app()).sessions() as session:
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
    with database(current_app()).sessions() as session:
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
    with database(current_app()).sessions() as session:
        for found in session.scalars(select(Petition).order_by(Petition.created_at)):
            status = "open" if found.is_open(now) else "closed"
            click.echo(f"{found.slug}\t{status}\t{found.text(found.default_locale)['title']}")
