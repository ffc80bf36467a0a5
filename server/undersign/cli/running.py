"""Running the service: serve, the mailer, the database schema, the demo, purging."""

from __future__ import annotations

import os
import signal
import sys
import threading

import click

from undersign.campaigns import demo
from undersign.cli.context import current_app
from undersign.core.config import LOOPBACK_HOSTS, settings
from undersign.core.db import database
from undersign.mail import reminders
from undersign.signers import retention


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--mailers",
    type=click.IntRange(1, 64),
    help="Mailer processes beside gunicorn  [default: one a worker, at most one a core, on "
    "PostgreSQL; 1 on SQLite]",
)
@click.option("--no-mailer", is_flag=True, help="Leave sending to a separate `undersign mailer`.")
def serve(host: str, port: int, workers: int, mailers: int | None, no_mailer: bool) -> None:
    """Serve with gunicorn, and run the mailers beside it."""
    if host not in LOOPBACK_HOSTS and not os.environ.get("UNDERSIGN_SECRET_KEY"):
        raise click.ClickException(
            f"refusing to serve on {host} without UNDERSIGN_SECRET_KEY: "
            "a generated development key must not sign real links"
        )
    from undersign.cli.gunicorn import (
        Supervisor,
        prepare_metrics_dir,
        refuse_if_taken,
        remove_metrics_dir,
        run_gunicorn,
    )

    try:
        refuse_if_taken(host, port)
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error.strerror}") from None

    # gunicorn's workers are forks of this process, and one that exits leaves
    # through these `finally` clauses too: only the master may stop the mailer
    # and remove the metrics directory every process shares.
    master = os.getpid()
    metrics_dir = prepare_metrics_dir()  # before the app imports prometheus_client
    try:
        app = current_app()  # fail here, in one line, on bad configuration
        if host not in LOOPBACK_HOSTS and not settings(app).trusted_proxies:
            # gunicorn alone gives up its workers to a few slow clients; a proxy absorbs them.
            click.echo(
                f"serving on {host} with no proxy in front: Undersign expects one (Caddy, "
                "see docs/production.md) and UNDERSIGN_TRUSTED_PROXIES naming it",
                err=True,
            )
        # Each mailer runs in a process of its own, started again should it die:
        # signatures keep being taken meanwhile, and their emails wait in the outbox.
        command = [sys.executable, "-m", "undersign", "mailer"]
        count = 0 if no_mailer else mailers or default_mailers(settings(app).database_url, workers)
        running = [Supervisor("mailer", command).start() for _ in range(count)]
        try:
            run_gunicorn(host, port, workers)
        finally:
            if os.getpid() == master:
                for mailer in running:
                    mailer.stop()
    finally:
        if os.getpid() == master:
            remove_metrics_dir(metrics_dir)


def default_mailers(database_url: str, workers: int, cores: int | None = None) -> int:
    """How many mailers `serve` runs unless told: one a web worker, at most one a core, on
    PostgreSQL; one on SQLite.

    At a viral moment the web workers and the mailers share the cores, a process's share
    each: one mailer beside two workers fell behind signing by minutes on 2 cores, two
    kept within a minute (bench/README.md, "Sign to inbox"). On PostgreSQL mailers claim
    disjoint batches (SKIP LOCKED); SQLite has one writer.
    """
    if not database_url.startswith("postgresql"):
        return 1
    return max(1, min(workers, cores or os.cpu_count() or 1))


@click.command()
def mailer() -> None:
    """Send the outbox's messages until stopped."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    # Imported here, not above: `serve` must choose where metrics live first.
    from undersign.mail import worker

    worker.run(current_app(), stop)


@click.group()
def db() -> None:
    """The database schema."""


@db.command()
def upgrade() -> None:
    """Apply the migrations up to the newest."""
    database(current_app()).upgrade()
    click.echo("database is up to date")


@click.command("demo")
def seed_demo() -> None:
    """Create the demo petition unless it exists (safe to run again)."""
    with database(current_app()).sessions() as session:
        created = demo.seed(session)
    click.echo(f"demo petition {'created' if created else 'already there'}: /p/{demo.SLUG}")


@click.command()
def purge() -> None:
    """Delete what is no longer needed: unconfirmed signatures, expired address hashes, and
    the personal data of petitions whose retention ended (reminding organisers before)."""
    app = current_app()
    with database(app).sessions() as session:
        done = retention.purge(session)
    done |= reminders.run(app, whole=True)
    click.echo(", ".join(f"{what}: {n}" for what, n in done.items()))
