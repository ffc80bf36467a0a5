"""Webhooks: each verified signature POSTed to a partner's or a petition's endpoint, signed.

Deliveries ride the outbox, like emails: written in the transaction that
verifies, claimed by the mailer's webhook loop (apart from the emails, so a slow
endpoint never delays one), retried with the same backoff, and built when they
are sent, so a signature withdrawn meanwhile is never delivered.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Collection
from datetime import datetime
from typing import Any
from urllib.parse import SplitResult, urlsplit

from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from undersign.core import audit, destinations, outbox
from undersign.core.auth import Rights
from undersign.core.models import OutboxKind, Partner, Petition, Signature, Webhook
from undersign.organisers import moderation

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Undersign-Signature"
TIMESTAMP_HEADER = "X-Undersign-Timestamp"
# Short: a slow endpoint holds back only the deliveries behind it, never an email.
TIMEOUT_SECONDS = 5
URL_MOST = 500


class InvalidWebhook(ValueError):
    pass


class WebhookNotFound(LookupError):
    pass


def create(
    session: Session,
    url: str,
    *,
    by: Rights,
    partner: Partner | None = None,
    petition: Petition | None = None,
    internal_hosts: Collection[str] = (),
) -> Webhook:
    """Add an endpoint for one partner or one petition, log who did it, and commit.

    An address inside the server's own network is refused here as typed, and again,
    as it then resolves, before each delivery (see `post`).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > URL_MOST:
        raise InvalidWebhook(f"the URL must be http(s)://… and at most {URL_MOST} characters")
    try:
        _port(parts)
        destinations.check_literal(parts.hostname, internal_hosts)
    except ValueError:  # ForbiddenDestination, or a port that is no number
        raise InvalidWebhook("the URL must point to a server on the public internet") from None
    if (partner is None) == (petition is None):
        raise InvalidWebhook("a webhook belongs to exactly one partner or one petition")
    webhook = Webhook(url=url, secret=secrets.token_hex(32), partner=partner, petition=petition)
    session.add(webhook)
    audit.record(
        session,
        by,
        "webhook.create",
        url[:120],
        partner=partner.code if partner else None,
        petition=petition.slug if petition else None,
    )
    session.commit()
    return webhook


def delete(session: Session, webhook_id: int, *, by: Rights) -> None:
    """Remove an endpoint (its pending deliveries go with it), log it, and commit."""
    webhook = find(session, webhook_id)
    audit.record(session, by, "webhook.delete", webhook.url[:120])
    session.delete(webhook)
    session.commit()


def listed(session: Session) -> list[Webhook]:
    query = select(Webhook).options(selectinload(Webhook.partner), selectinload(Webhook.petition))
    return list(session.scalars(query.order_by(Webhook.id)))


def find(session: Session, webhook_id: int) -> Webhook:
    webhook = session.get(Webhook, webhook_id)
    if webhook is None:
        raise WebhookNotFound(webhook_id)
    return webhook


def describe(webhook: Webhook, with_secret: bool = False) -> dict[str, Any]:
    described = {
        "id": webhook.id,
        "url": webhook.url,
        "partner": webhook.partner.code if webhook.partner else None,
        "petition": webhook.petition.slug if webhook.petition else None,
        "created_at": webhook.created_at.isoformat(),
    }
    if with_secret:
        described["secret"] = webhook.secret
    return described


def enqueue_for(session: Session, signature: Signature, now: datetime) -> None:
    """Queue a delivery to every endpoint that follows this newly verified signature.

    A partner's endpoint hears only of signers who agreed to be contacted, as its token does.
    """
    to_partner = signature.source is not None and signature.contact_consent
    follows = or_(
        Webhook.petition_id == signature.petition_id,
        Partner.code == signature.source if to_partner else false(),
    )
    query = select(Webhook.id).outerjoin(Partner, Webhook.partner_id == Partner.id).where(follows)
    for webhook_id in session.scalars(query):
        outbox.enqueue(session, OutboxKind.WEBHOOK, signature.id, now, webhook_id=webhook_id)


def rights_of(webhook: Webhook) -> Rights:
    """A partner's endpoint gets exactly what that partner's token would see."""
    partner = webhook.partner.code if webhook.partner else None
    return Rights(name=f"webhook:{webhook.id}", partner=partner)


def payload(webhook: Webhook, signature: Signature) -> bytes:
    body = {
        "event": "signature.verified",
        "petition": signature.petition.slug,
        "signature": moderation.describe(signature, rights_of(webhook)),
    }
    return json.dumps(body, ensure_ascii=False).encode()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Return the header value a receiver recomputes: HMAC-SHA256 of "timestamp.body"."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def post(url: str, secret: str, body: bytes, internal_hosts: Collection[str] = ()) -> int:
    """POST one delivery; return the endpoint's status.

    The connection goes to the address the host resolves to now, once judged public
    (destinations.resolve): no later lookup can send it elsewhere. A redirect is not
    followed: it is an answer like any other, and not a 2xx.
    """
    parts = urlsplit(url)
    host, port = parts.hostname or "", _port(parts)
    address = destinations.resolve(host, port, internal_hosts)
    timestamp = str(int(time.time()))
    connection = _connection(parts.scheme, host, address, port)
    try:
        connection.request(
            "POST",
            (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
            body=body,
            headers={
                "Host": parts.netloc.rpartition("@")[2],
                "Content-Type": "application/json",
                "User-Agent": "Undersign-Webhook",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: sign(secret, timestamp, body),
            },
        )
        return connection.getresponse().status
    finally:
        connection.close()


def _port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def _connection(scheme: str, host: str, address: str, port: int) -> http.client.HTTPConnection:
    if scheme == "https":
        return _PinnedHTTPS(host, address, port)
    return _PinnedHTTP(host, address, port)


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to one address already judged, whatever the name resolves to now."""

    def __init__(self, host: str, address: str, port: int) -> None:
        super().__init__(host, port, timeout=TIMEOUT_SECONDS)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to one address already judged; the certificate is checked for the host's name."""

    def __init__(self, host: str, address: str, port: int) -> None:
        super().__init__(host, port, timeout=TIMEOUT_SECONDS)
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class EndpointFailed(Exception):
    """The endpoint did not take a delivery (unreachable, too slow, 5xx, 408, 429): later."""


def deliver(
    sessions: sessionmaker[Session],
    claims: list[outbox.Claim],
    now: datetime,
    stop: threading.Event,
    internal_hosts: Collection[str] = (),
) -> int:
    """Send claimed deliveries one by one; return how many were taken.

    Each is done the moment its endpoint took it. An endpoint that fails holds
    back all its deliveries with the failed one's backoff, so that a dead one
    costs one timeout per backoff, not one for each delivery waiting for it.
    """
    waiting = deque(claims)
    in_hand: outbox.Claim | None = None
    stop_at = time.monotonic() + outbox.WORK_SECONDS
    delivered = 0
    try:
        while waiting and time.monotonic() < stop_at and not stop.is_set():
            in_hand = waiting.popleft()
            try:
                delivered += _deliver_one(sessions, in_hand, internal_hosts)
            except EndpointFailed as failure:
                waiting = _hold_endpoint(sessions, in_hand, str(failure), waiting, now)
            in_hand = None
    except Exception:
        # Unforeseen: the delivery in hand waits its backoff (and is given up at
        # last), so that one that breaks the round cannot come first for ever.
        if in_hand is not None:
            outbox.retry_later(sessions, [in_hand], "unexpected error", now)
        raise
    finally:
        # Time up, told to stop, or broken off: the rest are due again at once.
        outbox.give_back(sessions, waiting, now)
    return delivered


def _deliver_one(
    sessions: sessionmaker[Session], claim: outbox.Claim, internal_hosts: Collection[str]
) -> int:
    """POST one delivery and forget it; return 1 if the endpoint took it.

    What an endpoint answered is never logged or shown: a status would tell whoever chose
    the URL what listens at an address only the server can reach.
    """
    with sessions() as session:
        signature = session.get(Signature, claim.signature_id or 0)
        webhook = session.get(Webhook, claim.webhook_id or 0)
        if signature is None or webhook is None or not signature.counts:
            outbox.done(sessions, [claim.id])  # withdrawn, invalidated or unhooked meanwhile
            return 0
        url, secret, body = webhook.url, webhook.secret, payload(webhook, signature)
    try:
        status = post(url, secret, body, internal_hosts)
    except destinations.ForbiddenDestination:
        log.warning("webhook %s points inside the network; delivery %s dropped", *_ids(claim))
        outbox.done(sessions, [claim.id])
        return 0
    except (OSError, http.client.HTTPException, ValueError):
        # Unresolved, unreachable, timed out, or answering nonsense.
        raise EndpointFailed("unreachable") from None
    if 200 <= status < 300:
        outbox.done(sessions, [claim.id])
        return 1
    if not 400 <= status < 500 or status in (408, 429):
        raise EndpointFailed("not taken")
    log.warning("webhook %s refused delivery %s", *_ids(claim))
    outbox.done(sessions, [claim.id])
    return 0


def _ids(claim: outbox.Claim) -> tuple[int | None, int]:
    return claim.webhook_id, claim.id


def _hold_endpoint(
    sessions: sessionmaker[Session],
    claim: outbox.Claim,
    reason: str,
    waiting: deque[outbox.Claim],
    now: datetime,
) -> deque[outbox.Claim]:
    """Put a failed delivery back, and its endpoint's others with it; return the rest."""
    log.warning(
        "webhook %s unreachable (%s); delivery %s waits", claim.webhook_id, reason, claim.id
    )
    # The endpoint's other deliveries are held first, so that by the time the failure
    # shows on the delivery in hand, all of them show the same wait.
    if claim.webhook_id is not None:
        theirs = [other for other in waiting if other.webhook_id == claim.webhook_id]
        until = now + outbox.backoff(claim.attempts)
        outbox.hold_webhook(sessions, claim.webhook_id, until, theirs)
    for given_up in outbox.retry_later(sessions, [claim], reason, now):
        log.error("webhook delivery %s given up after %d attempts", given_up.id, given_up.attempts)
    return deque(other for other in waiting if other.webhook_id != claim.webhook_id)
