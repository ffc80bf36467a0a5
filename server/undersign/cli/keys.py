"""Sealed petitions' keys: generate a key file, open a sealed export."""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import BinaryIO

import click
from nacl.public import PrivateKey

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
    """Open a sealed CSV, JSONL or XLSX export offline: the plain export out, same format."""
    private = []
    for path in key_files:
        try:
            private.append(sealing.load(path.read_text("utf-8"), partial(_passphrase, path)))
        except sealing.BadKey as error:
            raise click.ClickException(f"{path}: {error}") from None
        except UnicodeDecodeError:
            raise click.ClickException(f"{path}: not a key file (not UTF-8 text)") from None
    name = "standard input" if source == DASH else str(source)
    with _binary_input(source) as raw:
        try:
            _write(output, _opened(raw, private))
        except sealing.BadKey as error:
            raise click.ClickException(str(error)) from None
        except (UnicodeDecodeError, ValueError, KeyError, csv.Error, zipfile.BadZipFile):
            raise click.ClickException(
                f"{name} is not an export Undersign wrote (CSV or JSONL in UTF-8, or XLSX)"
            ) from None


DASH = Path("-")
XLSX_MAGIC = b"PK\x03\x04"  # a workbook is a zip


def _binary_input(source: Path) -> BinaryIO:
    return sys.stdin.buffer if source == DASH else source.open("rb")


def _opened(raw: BinaryIO, keys: list[PrivateKey]) -> Iterator[bytes]:
    """Yield the opened export's bytes: XLSX for a workbook, UTF-8 text otherwise."""
    if _starts_with(raw, XLSX_MAGIC):
        # A zip is read from its end: a pipe is taken whole first.
        workbook = raw if raw.seekable() else io.BytesIO(raw.read())
        yield from export.opened_xlsx(workbook, keys)
        return
    # newline="": a CSV cell may hold a line break, which the csv module reads and writes.
    text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
    for line in export.opened(text, keys):
        yield line.encode("utf-8")


def _starts_with(raw: BinaryIO, magic: bytes) -> bool:
    if raw.seekable():
        start = raw.read(len(magic))
        raw.seek(0)
        return start == magic
    return bytes(raw.peek(len(magic))[: len(magic)]) == magic  # type: ignore[attr-defined]


def _write(output: Path, chunks: Iterator[bytes]) -> None:
    """Write `chunks` to `output` only once all of them were made: a failure leaves no half file."""
    if output == DASH:
        for chunk in chunks:
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
        return
    partial_file = output.with_name(output.name + ".part")
    try:
        with partial_file.open("wb") as out:
            out.writelines(chunks)
        partial_file.replace(output)
    finally:
        partial_file.unlink(missing_ok=True)


def _passphrase(path: Path) -> str:
    return str(click.prompt(f"Passphrase for {path}", hide_input=True, err=True))
