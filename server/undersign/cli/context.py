"""What every command shares: one-line failures, the app, a petition by its slug."""

from __future__ import annotations

from typing import Any

import click
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from undersign import create_app
from undersign.campaigns import petitions
from undersign.core.config import ConfigError
from undersign.core.models import Petition


class OneLineErrors(click.Group):
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


def current_app() -> Flask:
    ctx = click.get_current_context()
    root = ctx.find_root()
    if root.obj is None:
        root.obj = create_app()
    return root.obj


def find_petition(session: Any, slug: str) -> Petition:
    try:
        return petitions.find(session, slug)
    except petitions.PetitionNotFound:
        raise click.ClickException(f"no petition called {slug!r}") from None
