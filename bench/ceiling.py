"""The mail ceiling: a real signer's wait in a flood, and a viral burst's delay with it on and off.

    .venv/bin/python bench/ceiling.py                  # about eight minutes
    .venv/bin/python bench/ceiling.py --seconds 60 --rate 40 --turns 5

In process, on PostgreSQL (a database of its own, `undersign_bench_ceiling`, migrated and
dropped here), with an aiosmtpd server on loopback and the mailer's loop in a thread of its
own on the real clock, as `undersign mailer` runs it. Signatures are posted through the sign
route (Flask's test client) at `--rate` a second for `--seconds`, each from an address of its
own; the ceiling runs on a short clock (a 120 s window, a 10 s grace, 50 judged, 20%
confirmed, 60 a minute per petition), so that it judges within a run.

- **viral, ceiling on / off**: every signer is a person; four in five confirm 1–4 s after
  their email arrives (the link's POST, from a thread of their own). The delay of an email is
  from its post's answer to its arrival at the server; p50 and p95 of each, and p95 on over off.
  Both run in the same minutes, in `--turns` turns each (each first every other time), on
  petitions of their own; the ratio is given pooled and turn by turn.
- **flood**: the same rate of invented addresses from one network, nobody confirming, and a
  real signer from another network every 5 s, who confirms. How long each real signer's email
  waited, and how many flood emails went and how many were held at the end.
"""

from __future__ import annotations

import argparse
import queue
import random
import re
import statistics
import threading
import time
from typing import Any

from aiosmtpd.controller import Controller
from run import bench_database, free_port, say
from sqlalchemy import func, select
from undersign import create_app
from undersign.campaigns import petitions
from undersign.core.auth import CLI
from undersign.core.db import database
from undersign.core.models import OutboxMessage
from undersign.mail.worker import deliver_emails

DATABASE = "undersign_bench_ceiling"
LINK = re.compile(rb"http://localhost/verify/([\w.\-]+)")
CEILING = {
    "MAIL_CEILING_WINDOW": 120,
    "MAIL_CEILING_GRACE": 10,
    "MAIL_CEILING_MIN_SENT": 50,
    "MAIL_CEILING_CONFIRMED": 20,
    "MAIL_CEILING_PETITION_RATE": 60,
    "MAIL_CEILING_DOMAIN_RATE": 120,
}


class Arrivals:
    """The SMTP server's side: when each address's email arrived, and its verify token."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.tokens: queue.Queue[tuple[str, bytes]] = queue.Queue()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.monotonic()
        for address in envelope.rcpt_tos:
            self.at.setdefault(address, now)
            found = LINK.search(envelope.content.replace(b"=\r\n", b""))
            if found:
                self.tokens.put((address, found.group(1)))
        return "250 OK"


def build(database_url: str, port: int, ceiling: bool) -> Any:
    return create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench-secret-key",
            "BASE_URL": "http://localhost",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": port,
            "RATELIMIT_ENABLED": False,
            "CHALLENGE_NETWORK_RATE": 10**9,
            "CHALLENGE_PETITION_RATE": 10**9,
            "MAIL_CEILING": ceiling,
            **CEILING,
        }
    )


def mailer(app: Any, stop: threading.Event) -> None:
    """The mailer's loop, as `undersign mailer` runs it (a shorter rest while idle)."""
    while not stop.is_set():
        if deliver_emails(app) == 0:
            stop.wait(0.2)


def confirmer(app: Any, arrivals: Arrivals, people: set[str], stop: threading.Event) -> None:
    """People who confirm: 1-4 s after their email arrives, they press the link's button."""
    client = app.test_client()
    later: list[tuple[float, bytes]] = []
    while not stop.is_set() or later:
        try:
            address, token = arrivals.tokens.get(timeout=0.1)
            if address in people:
                later.append((time.monotonic() + random.uniform(1, 4), token))
        except queue.Empty:
            pass
        now = time.monotonic()
        for when, token in [item for item in later if item[0] <= now]:
            client.post(f"/verify/{token.decode()}")
            later.remove((when, token))
        if stop.is_set() and later:
            later.clear()


def post_at_rate(
    client: Any, slug: str, rate: float, seconds: float, address_of: Any, network_of: Any
) -> dict[str, float]:
    """Post `rate` a second for `seconds`; return when each address's post was answered."""
    posted: dict[str, float] = {}
    started = time.monotonic()
    n = 0
    while time.monotonic() - started < seconds:
        due = started + n / rate
        if time.monotonic() < due:
            time.sleep(due - time.monotonic())
        address = address_of(n)
        body = {"name": "A Signer", "email": address, "country": "KZ"}
        answer = client.post(
            f"/api/v1/petitions/{slug}/signatures",
            json=body,
            environ_base={"REMOTE_ADDR": network_of(n)},
        )
        assert answer.status_code == 202, answer.json
        posted[address] = time.monotonic()
        n += 1
    return posted


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def viral(
    database_url: str, port: int, arrivals: Arrivals, ceiling: bool, args: Any
) -> list[float]:
    """A burst of people who mostly confirm; return each email's delay in seconds."""
    app = build(database_url, port, ceiling)
    slug = f"viral-{'on' if ceiling else 'off'}-{time.monotonic_ns()}"
    with database(app).sessions() as session:
        petitions.create(session, slug, {"en": {"title": "Viral", "summary": "Sign."}}, by=CLI)
    people: set[str] = set()

    def address(n: int) -> str:
        made = f"p{n}.{slug}@example.org"
        if n % 5:
            people.add(made)  # four in five confirm
        return made

    stop, done = threading.Event(), threading.Event()
    threads = [
        threading.Thread(target=mailer, args=(app, done)),
        threading.Thread(target=confirmer, args=(app, arrivals, people, stop)),
    ]
    for thread in threads:
        thread.start()
    posted = post_at_rate(
        app.test_client(),
        slug,
        args.rate,
        args.seconds,
        address,
        lambda n: f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}",
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(a in arrivals.at for a in posted):
        time.sleep(0.2)
    done.set()
    stop.set()
    for thread in threads:
        thread.join()
    missing = [a for a in posted if a not in arrivals.at]
    assert not missing, f"{len(missing)} emails never arrived"
    database(app).engine.dispose()
    return [arrivals.at[a] - posted[a] for a in posted]


def flood(database_url: str, port: int, arrivals: Arrivals, args: Any) -> None:
    """Invented addresses from one network, and a real signer every 5 s from another."""
    app = build(database_url, port, True)
    slug = f"flood-{time.monotonic_ns()}"
    with database(app).sessions() as session:
        petitions.create(session, slug, {"en": {"title": "Flood", "summary": "Sign."}}, by=CLI)
    real: set[str] = set()

    def address(n: int) -> str:
        if n % int(args.rate * 5) == 0:
            made = f"real{n}.{slug}@example.org"
            real.add(made)
            return made
        return f"nobody{n}.{slug}@invented.example"

    def network(n: int) -> str:
        return f"198.51.{n >> 8 & 255}.{n & 255}" if n % int(args.rate * 5) == 0 else "203.0.113.7"

    stop, done = threading.Event(), threading.Event()
    threads = [
        threading.Thread(target=mailer, args=(app, done)),
        threading.Thread(target=confirmer, args=(app, arrivals, real, stop)),
    ]
    for thread in threads:
        thread.start()
    posted = post_at_rate(app.test_client(), slug, args.rate, args.seconds, address, network)
    deadline = time.monotonic() + 70
    while time.monotonic() < deadline and not all(a in arrivals.at for a in real):
        time.sleep(0.2)
    done.set()
    stop.set()
    for thread in threads:
        thread.join()
    waits = [arrivals.at[a] - posted[a] for a in real if a in arrivals.at]
    flood_sent = sum(1 for a in posted if a not in real and a in arrivals.at)
    with database(app).sessions() as session:
        held = session.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.held_at.is_not(None), OutboxMessage.released_at.is_(None)
            )
        )
    say(
        f"flood: {len(posted) - len(real)} invented posts in {args.seconds:.0f} s, "
        f"{flood_sent} of their emails sent, {held} held at the end"
    )
    say(
        f"flood: {len(waits)} of {len(real)} real signers' emails arrived; wait "
        f"median {statistics.median(waits):.2f} s, max {max(waits):.2f} s"
    )
    database(app).engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=45)
    parser.add_argument("--rate", type=float, default=30, help="posts a second")
    parser.add_argument("--turns", type=int, default=3, help="viral runs each way, in turns")
    args = parser.parse_args()
    arrivals = Arrivals()
    port = free_port()
    server = Controller(arrivals, hostname="127.0.0.1", port=port)
    server.start()
    try:
        with bench_database(DATABASE) as url:
            delays: dict[bool, list[float]] = {True: [], False: []}
            ratios = []
            for turn in range(args.turns):
                # In turns, each first every other time, so a neighbour's load falls on both.
                order = (False, True) if turn % 2 == 0 else (True, False)
                p95 = {}
                for ceiling in order:
                    taken = viral(url, port, arrivals, ceiling, args)
                    delays[ceiling] += taken
                    p95[ceiling] = percentile(taken, 0.95)
                    say(
                        f"viral, turn {turn + 1}, ceiling {'on' if ceiling else 'off'}: "
                        f"{len(taken)} emails, delay p50 {percentile(taken, 0.5):.3f} s, "
                        f"p95 {p95[ceiling]:.3f} s"
                    )
                ratios.append(p95[True] / p95[False])
            for ceiling, taken in delays.items():
                say(
                    f"viral, all turns, ceiling {'on' if ceiling else 'off'}: {len(taken)} emails, "
                    f"p50 {percentile(taken, 0.5):.3f} s, p95 {percentile(taken, 0.95):.3f} s"
                )
            pooled = percentile(delays[True], 0.95) / percentile(delays[False], 0.95)
            say(
                f"viral p95, on over off: pooled {pooled:.2f}, per turn "
                + ", ".join(f"{r:.2f}" for r in ratios)
                + f" (median {statistics.median(ratios):.2f})"
            )
            flood(url, port, arrivals, args)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
