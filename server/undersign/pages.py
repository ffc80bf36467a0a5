"""The HTML pages and the static frontend."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import date
from functools import cache, partial
from gettext import translation
from typing import Any
from urllib.parse import quote

import pycountry
from flask import (
    Blueprint,
    current_app,
    jsonify,
    make_response,
    render_template,
    request,
    send_from_directory,
)
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import NotFound

from undersign import charts, counting, i18n, partners, petitions, signing, tokens
from undersign.cache import get_cache
from undersign.db import get_session
from undersign.limits import limiter, token_limit
from undersign.models import LOCALES, Petition, Signature
from undersign.validation import explain

bp = Blueprint("pages", __name__)

WALL_PAGE_SIZE = 10
PARTNER_CODE = re.compile(r"[a-z0-9-]{1,40}")


def request_locale(explicit: str | None = None) -> str:
    """Choose the page's language: explicit choice, ?lang=, Accept-Language, English."""
    return i18n.negotiate([explicit, request.args.get("lang")], request.accept_languages.values())


@cache
def countries(locale: str) -> list[tuple[str, str]]:
    """Return (code, name) for every ISO 3166-1 country, named and sorted in `locale`."""
    names = translation("iso3166-1", pycountry.LOCALES_DIR, languages=[locale], fallback=True)
    pairs = [(c.alpha_2, names.gettext(c.name)) for c in pycountry.countries]
    return sorted(pairs, key=lambda pair: pair[1].casefold())


def plural_category(locale: str, n: int) -> str:
    """Return the CLDR plural category of `n`, as the browser's Intl.PluralRules names it."""
    if locale == "ru":
        if n % 10 == 1 and n % 100 != 11:
            return "one"
        if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
            return "few"
        return "many"
    return "one" if n == 1 else "other"


def format_number(locale: str, n: int) -> str:
    grouped = f"{n:,}"
    # Russian and Kazakh group digits with a non-breaking space, as Intl.NumberFormat does.
    return grouped if locale == "en" else grouped.replace(",", "\u00a0")


def format_date(locale: str, day: date | str) -> str:
    if isinstance(day, str):  # an ISO timestamp, as the wall's entries carry it
        day = date.fromisoformat(day[:10])
    return day.strftime("%-d %b %Y") if locale == "en" else day.strftime("%d.%m.%Y")


def count_text(locale: str, n: int) -> str:
    """Return "1 signature", "5 подписей"...: the count with its word in `locale`."""
    forms = i18n.messages(locale)["petition"]["count"]
    form = forms.get(plural_category(locale, n), forms["other"])
    return str(form.format(count=format_number(locale, n)))


def render(template: str, locale: str, status: int = 200, **context: Any) -> ResponseReturnValue:
    return (
        render_template(
            template,
            t=i18n.messages(locale),
            locale=locale,
            locales=LOCALES,
            count_text=partial(count_text, locale),
            number=partial(format_number, locale),
            day=partial(format_date, locale),
            **context,
        ),
        status,
    )


def html_error(status: int) -> ResponseReturnValue:
    return render("error.html", request_locale(), status, error_status=status)


@bp.get("/")
def index() -> ResponseReturnValue:
    locale = request_locale()
    listed = get_session().scalars(Petition.listed()).all()
    cards = [(p, p.text(locale), _count(p.slug)) for p in listed]
    return render("index.html", locale, petitions=cards)


def _count(slug: str) -> int:
    settings = current_app.extensions["undersign.settings"]
    count = counting.public_count(get_session(), get_cache(), slug, settings.count_cache_seconds)
    return int((count or {}).get("signature_count", 0))


def _petition_page(slug: str, locale: str) -> dict[str, Any]:
    try:
        petition = signing.find_petition(get_session(), slug)
    except signing.PetitionNotFound:
        raise NotFound() from None
    return {
        "petition": petition,
        "text": petition.text(locale),
        "count": _count(slug),
        "countries": countries(locale),
    }


def _wall_stats_and_sharing(petition: Petition, locale: str) -> dict[str, Any]:
    """The wall's page, the pictures of where and when people signed, and the share links."""
    session, t = get_session(), i18n.messages(locale)
    page = request.args.get("page", "1")
    page_number = int(page) if page.isdigit() and 0 < len(page) < 6 and int(page) > 0 else 1
    stats = json.loads(petitions.cached_stats(session, get_cache(), petition))
    names = dict(countries(locale))
    base_url = current_app.extensions["undersign.settings"].base_url
    page_url = f"{base_url}/p/{petition.slug}"
    return {
        "page_url": page_url,
        "wall": petitions.wall(session, petition, page_number, WALL_PAGE_SIZE),
        "country_names": names,
        "bars": charts.country_bars(stats["by_country"], names, t["stats"]["other_countries"]),
        "growth": charts.growth(stats["by_day"]),
        "share": share_links(
            page_url, t["share"]["invitation"].format(title=petition.text(locale)["title"])
        ),
    }


def share_links(url: str, invitation: str) -> list[tuple[str, str]]:
    """Plain links to share a petition: no buttons that load a network's scripts."""
    text, link = quote(invitation), quote(url, safe="")
    return [
        ("email", f"mailto:?subject={text}&body={text}%0A{link}"),
        ("WhatsApp", f"https://wa.me/?text={text}%20{link}"),
        ("Telegram", f"https://t.me/share/url?url={link}&text={text}"),
        ("Facebook", f"https://www.facebook.com/sharer/sharer.php?u={link}"),
        ("VK", f"https://vk.com/share.php?url={link}"),
        ("X", f"https://x.com/intent/post?text={text}&url={link}"),
    ]


def _partner_source() -> str:
    """Return the partner code a link carries (?source=), or "" when there is none or it is bad."""
    source = request.args.get("source", "")
    return source if PARTNER_CODE.fullmatch(source) else ""


@bp.get("/p/<slug>")
def petition_page(slug: str) -> ResponseReturnValue:
    locale = request_locale()
    context = _petition_page(slug, locale)
    return render(
        "petition.html",
        locale,
        form={"source": _partner_source()},
        errors={},
        **context,
        **_wall_stats_and_sharing(context["petition"], locale),
    )


@bp.get("/embed/<slug>")
def embed_page(slug: str) -> ResponseReturnValue:
    """The widget as a page of its own, for partner sites that allow no third-party script."""
    locale, source = request_locale(), _partner_source()
    context = _petition_page(slug, locale)
    response = make_response(
        render("embed.html", locale, form={"source": source}, errors={}, source=source, **context)
    )
    policy = partners.frame_ancestors(get_session(), source)
    if policy:
        response.headers["Content-Security-Policy"] = policy
    return response


def sign_form_answer(
    slug: str,
    locale: str,
    form: Mapping[str, Any],
    errors: dict[str, str] | None,
    status: int,
) -> ResponseReturnValue:
    """Answer the no-JavaScript form: the thank-you page, or the form again with its errors."""
    # The answer's address is the API's: switching language must lead back to the page.
    context = {**_petition_page(slug, locale), "lang_base": f"/p/{slug}"}
    if status == 202:
        return render(
            "signed.html",
            locale,
            202,
            **context,
            **_wall_stats_and_sharing(context["petition"], locale),
        )
    explained = explain(errors or {}, i18n.messages(locale)["errors"])
    return render(
        "petition.html",
        locale,
        status,
        form=form,
        errors=explained,
        closed=status == 409,
        **context,
        **_wall_stats_and_sharing(context["petition"], locale),
    )


def _signer(token: str, purpose: tokens.Purpose) -> Signature | None:
    """Return whose link this is (for its language and petition); None for a broken link."""
    keys = current_app.extensions["undersign.settings"].signing_keys
    try:
        signature_id = tokens.read(keys, purpose, token)
    except tokens.ExpiredToken as expired:
        signature_id = expired.signature_id
    except tokens.InvalidToken:
        return None
    return get_session().get(Signature, signature_id)


def _link_problem(token: str, purpose: tokens.Purpose, done: str) -> str | None:
    """Tell before any click whether a link is broken or expired, so the page can say so."""
    keys = current_app.extensions["undersign.settings"].signing_keys
    try:
        signing.signature_for_link(get_session(), token, keys, purpose, done, lock=False)
    except tokens.InvalidToken:
        return "invalid"
    except tokens.ExpiredToken:
        return "expired"
    return None


LINK_PROBLEM_STATUS = {"invalid": 400, "expired": 410}


def _token_page(
    token: str, purpose: tokens.Purpose, template: str, status: int = 200, **context: Any
) -> ResponseReturnValue:
    """Render a link's page in the signer's language, unless they chose another."""
    signer = _signer(token, purpose)
    locale = i18n.negotiate(
        [request.args.get("lang"), signer.locale if signer else None],
        request.accept_languages.values(),
    )
    petition = signer.petition if signer else None
    return render(
        template,
        locale,
        status,
        petition=petition,
        title=petition.text(locale)["title"] if petition else None,
        **context,
    )


# Why a link's action failed, as the result page names it, and the status it answers with.
LINK_FAILURES: dict[type[Exception], tuple[str, int]] = {
    signing.SignatureWithdrawn: ("verify_withdrawn", 409),
    tokens.ExpiredToken: ("expired", 410),
    tokens.InvalidToken: ("invalid", 400),
}


def _link_page(
    token: str, purpose: tokens.Purpose, action: str, done: str, act: Callable[..., Any]
) -> ResponseReturnValue:
    """Show a link's button (GET), or do its action (POST) and show how it went.

    Link scanners fetch the links in emails, but they do not press buttons.
    """
    if request.method == "GET":
        problem = _link_problem(token, purpose, done)
        if problem:
            status = LINK_PROBLEM_STATUS[problem]
            return _token_page(token, purpose, "token_result.html", status, outcome=problem)
        return _token_page(token, purpose, "token_action.html", action=action)
    keys = current_app.extensions["undersign.settings"].signing_keys
    try:
        result = act(get_session(), get_cache(), token, keys)
    except tuple(LINK_FAILURES) as failure:
        get_session().rollback()
        outcome, status = LINK_FAILURES[type(failure)]
        return _token_page(token, purpose, "token_result.html", status, outcome=outcome)
    return _token_page(token, purpose, "token_result.html", outcome=done, result=result)


@bp.route("/verify/<token>", methods=["GET", "POST"])
@limiter.limit(token_limit, methods=["POST"])
def verify_page(token: str) -> ResponseReturnValue:
    return _link_page(token, tokens.VERIFY, "verify", "verified", signing.verify)


@bp.route("/withdraw/<token>", methods=["GET", "POST"])
@limiter.limit(token_limit, methods=["POST"])
def withdraw_page(token: str) -> ResponseReturnValue:
    return _link_page(token, tokens.WITHDRAW, "withdraw", "withdrawn", signing.withdraw)


@bp.get("/widget.js")
def widget() -> ResponseReturnValue:
    response = send_from_directory(i18n.frontend_dir(), "widget.js", max_age=300)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/locales/<name>.json")
def locale_file(name: str) -> ResponseReturnValue:
    """Serve a language's words with its country names: everything the widget says, at once."""
    if name not in LOCALES:
        return html_error(404)
    response = jsonify({**i18n.messages(name), "countries": countries(name)})
    response.cache_control.public = True
    response.cache_control.max_age = 300
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.add_etag()
    return response.make_conditional(request)
