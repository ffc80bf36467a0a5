"""Sealed petitions' keys: generate a key file, open a sealed export."""

from __future__ import annotations

import io
import sys
from functools import partial
from pathlib import Path

import click

from undersign.core import sealing
from undersign.organisers import export


@click.group()
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


@click.command("decrypt")
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
