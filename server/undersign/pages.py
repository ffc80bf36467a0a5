"""The HTML pages and the static frontend."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from gettext import translation
from typing import Any

import pycountry
from flask import Blueprint, current_app, render_template, request, send_from_directory
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import NotFound

from undersign import counting, i18n, signing, tokens
from undersign.cache import get_cache
from undersign.db import database, get_session
from undersign.limits import limiter, token_limit
from undersign.models import LOCALES, Petition
from undersign.validation import explain

bp = Blueprint("pages", __name__)


def request_locale(explicit: str | None = None) -> str:
    """Choose the page's language: explicit choice, ?lang=, Accept-Language, English."""
    return i18n.negotiate([explicit, request.args.get("lang")], request.accept_languages.values())


@cache
def countries(locale: str) -> list[tuple[str, str]]:
    """Return (code, name) for every ISO 3166-1 country, named and sorted in `locale`."""
    names = translation("iso3166-1", pycountry.LOCALES_DIR, languages=[locale], fallback=True)
    pairs = [(c.alpha_2, names.gettext(c.name)) for c in pycountry.countries]
    return sorted(pairs, key=lambda pair: pair[1].casefold())


def render(template: str, locale: str, status: int = 200, **context: Any) -> ResponseReturnValue:
    return (
        render_template(
            template, t=i18n.messages(locale), locale=locale, locales=LOCALES, **context
        ),
        status,
    )


def html_error(status: int) -> ResponseReturnValue:
    return render("error.html", request_locale(), status, status=status)


@bp.get("/")
def index() -> ResponseReturnValue:
    locale = request_locale()
    listed = get_session().scalars(Petition.listed()).all()
    return render("index.html", locale, petitions=[(p, p.text(locale)) for p in listed])


def _petition_page(slug: str, locale: str) -> dict[str, Any]:
    try:
        petition = signing.find_petition(get_session(), slug)
    except signing.PetitionNotFound:
        raise NotFound() from None
    settings = current_app.extensions["undersign.settings"]
    count = counting.public_count(
        database().sessions, get_cache(), slug, settings.count_cache_seconds
    )
    return {
        "petition": petition,
        "text": petition.text(locale),
        "count": (count or {}).get("signature_count", 0),
        "countries": countries(locale),
    }


@bp.get("/p/<slug>")
def petition_page(slug: str) -> ResponseReturnValue:
    locale = request_locale()
    return render("petition.html", locale, form={}, errors={}, **_petition_page(slug, locale))


def sign_form_answer(
    slug: str,
    locale: str,
    form: Mapping[str, Any],
    errors: dict[str, str] | None,
    status: int,
) -> ResponseReturnValue:
    """Answer the no-JavaScript form: the thank-you page, or the form again with its errors."""
    context = _petition_page(slug, locale)
    if status == 202:
        return render("signed.html", locale, 202, **context)
    explained = explain(errors or {}, i18n.messages(locale)["errors"])
    return render(
        "petition.html", locale, status, form=form, errors=explained, closed=status == 409,
        **context,
    )


@bp.route("/verify/<token>", methods=["GET", "POST"])
@limiter.limit(token_limit, methods=["POST"])
def verify_page(token: str) -> ResponseReturnValue:
    """Ask for a click before confirming: link scanners fetch, but they do not POST."""
    locale = request_locale()
    if request.method == "GET":
        return render("token_action.html", locale, action="verify")
    keys = current_app.extensions["undersign.settings"].signing_keys
    try:
        result = signing.verify(get_session(), get_cache(), token, keys)
    except signing.SignatureWithdrawn:
        return render("token_result.html", locale, 409, outcome="verify_withdrawn")
    except tokens.ExpiredToken:
        return render("token_result.html", locale, 410, outcome="expired")
    except tokens.InvalidToken:
        return render("token_result.html", locale, 400, outcome="invalid")
    locale = request_locale(result.locale)
    return render(
        "token_result.html",
        locale,
        outcome="verified",
        slug=result.petition_slug,
        count=result.signature_count,
        withdraw_token=result.withdraw_token,
    )


@bp.route("/withdraw/<token>", methods=["GET", "POST"])
@limiter.limit(token_limit, methods=["POST"])
def withdraw_page(token: str) -> ResponseReturnValue:
    locale = request_locale()
    if request.method == "GET":
        return render("token_action.html", locale, action="withdraw")
    keys = current_app.extensions["undersign.settings"].signing_keys
    try:
        result = signing.withdraw(get_session(), get_cache(), token, keys)
    except tokens.ExpiredToken:
        return render("token_result.html", locale, 410, outcome="expired")
    except tokens.InvalidToken:
        return render("token_result.html", locale, 400, outcome="invalid")
    return render(
        "token_result.html", request_locale(result.locale), outcome="withdrawn",
        slug=result.petition_slug,
    )


@bp.get("/widget.js")
def widget() -> ResponseReturnValue:
    response = send_from_directory(i18n.frontend_dir(), "widget.js", max_age=300)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/locales/<name>.json")
def locale_file(name: str) -> ResponseReturnValue:
    if name not in LOCALES:
        return html_error(404)
    response = send_from_directory(i18n.frontend_dir() / "locales", f"{name}.json", max_age=300)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response

