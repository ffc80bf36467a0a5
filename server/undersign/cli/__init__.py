"""The `undersign` command line: one module per command group."""

from __future__ import annotations

import click

from undersign.cli import collected, keys, organiser_tokens, petition, running, transparency
from undersign.cli.context import OneLineErrors
from undersign.core import logs


@click.group(cls=OneLineErrors)
def main() -> None:
    """Undersign: petitions, email-verified signatures, exports."""
    logs.configure()


for command in (
    running.serve,
    running.mailer,
    running.db,
    petition.petition,
    running.seed_demo,
    collected.export_command,
    collected.paper_group,
    organiser_tokens.token,
    running.purge,
    keys.keys,
    keys.decrypt,
    transparency.witness,
    transparency.log_group,
):
    main.add_command(command)
