"""Prometheus metrics: requests and mail as they happen, signatures and the outbox as stored.

No web layer here: the mailer counts what it sends without importing the app.

Counters live in this process, or, under `undersign serve`, in files that every
gunicorn worker and the mailer beside them share (PROMETHEUS_MULTIPROC_DIR), so
a scrape sees the whole server whichever worker answers it. What the database
knows (signatures by state, the outbox) is read at scrape time instead, so every
instance reports the same truth and nothing drifts.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from undersign.core.config import METRICS_DIR
from undersign.core.models import OutboxMessage, Signature, SignatureStatus, utcnow
from undersign.core.outbox import held_back

log = logging.getLogger(__name__)

DATABASE_UP = "1 when the database answered this scrape; 0 while it does not (answers are 503)."

REQUESTS = Counter(
    "undersign_http_requests",
    "HTTP requests answered, by route and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "undersign_http_request_duration_seconds",
    "Time to answer a request, by route.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RATE_LIMITED = Counter(
    "undersign_rate_limited_requests",
    "Requests refused with 429 by a rate limit, by route.",
    ["route"],
)
MAIL_SENT = Counter("undersign_mail_sent", "Emails handed to the mail server.")
MAIL_FAILURES = Counter(
    "undersign_mail_failures",
    "Emails that could not be sent: 'temporary' waits and is retried; 'refused' (a 5xx, or an "
    "address the server cannot take), 'unbuildable' (the message could not be made) and "
    "'given_up' (out of attempts) are dropped and marked on their signature.",
    ["reason"],
)

MAIL_HELD = Counter(
    "undersign_mail_held",
    "Verification emails the mail ceiling held back in the outbox, by what was mostly unconfirmed: "
    "'petition' or 'domain' (its recipients' domain). They are sent as confirmations recover.",
    ["by"],
)
for _by in ("petition", "domain"):
    MAIL_HELD.labels(_by)  # shown at 0 from the start, so a rate over it is defined


def observe(method: str, route: str, status: int, started: float) -> None:
    """Count one answered request and how long it took since `started` (perf_counter)."""
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(time.perf_counter() - started)
    if status == 429:
        RATE_LIMITED.labels(route).inc()


def exposition(
    sessions: sessionmaker[Session], redis_up: Callable[[], bool] | None = None
) -> bytes:
    """Return every metric in Prometheus' text format: counters, and gauges read from `sessions`.

    `redis_up` asks whether Redis answers, when one is configured.
    """
    registry = CollectorRegistry()
    if os.environ.get(METRICS_DIR):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_ThisProcess())
    registry.register(_Stored(sessions))
    if redis_up is not None:
        registry.register(_RedisUp(redis_up))
    return generate_latest(registry)


class _RedisUp:
    """Whether Redis answers, asked at scrape time: 0 means limits and counts are per process."""

    def __init__(self, answers: Callable[[], bool]) -> None:
        self.answers = answers

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "undersign_redis_up",
            "1 when Redis answers; 0 while limits and cached counts fall back to this process.",
            value=1 if self.answers() else 0,
        )


class _ThisProcess:
    """This process's counters, when no other process shares them."""

    def describe(self) -> list[Metric]:
        return []  # nothing to check for clashes; saves collecting at registration

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


class _Stored:
    """Gauges read from the database at scrape time: the same on every instance."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        try:
            by_state, invalidated, flagged, depth, oldest, failing, held = self._read()
        except SQLAlchemyError as error:
            # The database is away: the scrape still carries this process's counters.
            log.warning("metrics: database unavailable (%s)", type(error).__name__)
            yield GaugeMetricFamily("undersign_database_up", DATABASE_UP, value=0)
            return
        yield GaugeMetricFamily("undersign_database_up", DATABASE_UP, value=1)
        now = utcnow()
        states = GaugeMetricFamily(
            "undersign_signatures", "Signatures stored, by state.", labels=["state"]
        )
        counted: dict[str, int] = dict.fromkeys(SignatureStatus, 0)
        counted.update({status: n for status, n in by_state})
        for state, n in sorted(counted.items()):
            states.add_metric([state], n)
        yield states
        yield GaugeMetricFamily(
            "undersign_signatures_invalidated",
            "Signatures an organiser invalidated (not counted, whatever their state).",
            value=invalidated or 0,
        )
        yield GaugeMetricFamily(
            "undersign_signatures_flagged",
            "Signatures flagged for review (many from one network address).",
            value=flagged or 0,
        )
        yield GaugeMetricFamily(
            "undersign_outbox_depth", "Emails waiting in the outbox.", value=depth
        )
        age = 0.0
        if oldest is not None:
            age = max((now - oldest).total_seconds(), 0.0)
        yield GaugeMetricFamily(
            "undersign_outbox_oldest_age_seconds",
            "Age of the oldest email still waiting in the outbox (0 when empty).",
            value=age,
        )
        yield GaugeMetricFamily(
            "undersign_outbox_failing",
            "Emails in the outbox whose last attempt failed and that wait for a retry.",
            value=failing,
        )
        yield GaugeMetricFamily(
            "undersign_outbox_held",
            "Verification emails the mail ceiling holds back now (mostly unconfirmed floods).",
            value=held,
        )

    def _read(self) -> tuple[Any, ...]:
        with self.sessions() as session:
            by_state = session.execute(
                select(Signature.status, func.count()).group_by(Signature.status)
            ).all()
            invalidated = session.scalar(
                select(func.count()).where(Signature.invalidated_at.is_not(None))
            )
            flagged = session.scalar(select(func.count()).where(Signature.flagged.is_(True)))
            depth, oldest, failing = session.execute(
                select(
                    func.count(OutboxMessage.id),
                    func.min(OutboxMessage.created_at),
                    func.count(OutboxMessage.last_error),
                )
            ).one()
            held = session.scalar(held_back())
        return by_state, invalidated, flagged, depth, oldest, failing, held
