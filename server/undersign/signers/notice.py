"""A petition's privacy notice: what it states, taken from the code that does it.

Every period the notice names is read here from the constant the code acts on
(the links' lifetimes in tokens.py, the shared-address window in signing.py,
which retention.purge also uses, the rate limits from the settings), so the
notice cannot promise one thing while the service does another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit

from limits import parse_many

from undersign.core import i18n, privacy, tokens
from undersign.core.config import Settings
from undersign.core.models import Petition, WallMode
from undersign.signers.signing import SHARED_ADDRESS_WINDOW

# What makes an organiser's contact a link; anything else (a phone number, a street) stays text.
EMAIL = re.compile(r"[^@\s<>\"?&]+@[^@\s<>\"?&]+\.[^@\s<>\"?&]+")
WEB_PAGE = re.compile(r"https?://[^\s<>\"]+")
# The units a period is named in, largest first; a period is named in the largest that divides it.
UNITS = (("day", timedelta(days=1)), ("hour", timedelta(hours=1)), ("minute", timedelta(minutes=1)))


@dataclass(frozen=True)
class Periods:
    """How long each thing is kept, exactly as the code keeps it."""

    # An unconfirmed signature is purged once its confirmation link has expired (retention.purge).
    unconfirmed: timedelta
    # The keyed hash of the network address serves the shared-address rule, then is forgotten.
    address_hash: timedelta
    # How long the withdraw link in the email works; None: as long as the data (Retention).
    withdraw_link: timedelta | None
    # The rate limiter holds the plain network address for its longest window.
    rate_limit: timedelta


@dataclass(frozen=True)
class Retention:
    """When a confirmed signer's personal fields are erased: `days` after the petition
    closes, on `erases_at` once that is known (signers/retention.py acts on the same)."""

    days: int
    erases_at: datetime | None

    @property
    def period(self) -> timedelta:
        return timedelta(days=self.days)

    @property
    def erases_on(self) -> date | None:
        """The day (UTC) the data is erased, for the notice to name."""
        return self.erases_at.astimezone(UTC).date() if self.erases_at else None


@dataclass(frozen=True)
class Notice:
    """Everything one petition's notice states."""

    slug: str
    organiser_name: str | None
    organiser_contact: str | None
    service: str  # the host the service answers on
    sender: str  # the address its emails come from
    sealed: bool
    wall: str  # "approve" (entries wait for the organisers) or "show" (at once)
    periods: Periods
    erased_on_withdrawal: tuple[str, ...]
    sealed_at_once: tuple[str, ...]
    retention: Retention

    @property
    def contact_href(self) -> str | None:
        """Return a link to the organisers' contact when it is an address or a web page."""
        contact = self.organiser_contact or ""
        if EMAIL.fullmatch(contact):
            return f"mailto:{contact}"
        if WEB_PAGE.fullmatch(contact):
            return contact
        return None


def periods(settings: Settings) -> Periods:
    """Read each period from the constant or setting the code acts on."""
    limits = (settings.sign_rate_limit, settings.token_rate_limit)
    return Periods(
        unconfirmed=tokens.VERIFY.max_age,
        address_hash=SHARED_ADDRESS_WINDOW,
        withdraw_link=None if tokens.WITHDRAW.until_erased else tokens.WITHDRAW.max_age,
        # Limits turned off keep no address at all.
        rate_limit=longest_window(*limits) if settings.ratelimit_enabled else timedelta(0),
    )


def longest_window(*limits: str) -> timedelta:
    """Return the longest window of Flask-Limiter limit strings ("60 per minute;1000 per hour")."""
    seconds = [item.get_expiry() for text in limits for item in parse_many(text)]
    return timedelta(seconds=max(seconds, default=0))


def for_petition(petition: Petition, settings: Settings) -> Notice:
    """Gather what `petition`'s notice says."""
    return Notice(
        slug=petition.slug,
        organiser_name=petition.organiser_name or None,
        organiser_contact=petition.organiser_contact or None,
        service=urlsplit(settings.base_url).netloc,
        sender=parseaddr(settings.mail_from)[1],
        sealed=petition.seal_key is not None,
        wall="show" if petition.wall_mode == WallMode.SHOW else "approve",
        periods=periods(settings),
        erased_on_withdrawal=privacy.PERSONAL_FIELDS,
        sealed_at_once=privacy.SEALED_AT_ONCE,
        retention=Retention(petition.retention_days, petition.erases_at),
    )


def path(slug: str, locale: str) -> str:
    """Return where a petition's notice is, in a language."""
    return f"/p/{slug}/privacy?lang={locale}"


def day(locale: str, moment: datetime) -> str:
    """Name the day of a moment (UTC) in `locale`: "7 March 2027", "7 марта 2027 г."."""
    return i18n.format_date(locale, moment.astimezone(UTC).date())


def duration(locale: str, period: timedelta) -> str:
    """Name a period in `locale`, in its largest whole unit: "14 days", "1 день", "5 сағат"."""
    unit, n = "minute", max(1, round(period / timedelta(minutes=1)))
    for name, size in UNITS:
        if period >= size and period % size == timedelta(0):
            unit, n = name, period // size
            break
    forms = i18n.messages(locale)["privacy"]["units"][unit]
    form = forms.get(i18n.plural_category(locale, n), forms["other"])
    return str(form.format(n=i18n.format_number(locale, n)))
