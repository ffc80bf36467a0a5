"""The HTML pages and the static frontend."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache, lru_cache, partial
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, make_response, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from undersign.campaigns import cards, charts, images, news, petitions, thanks
from undersign.core import counting, i18n, markup, tokens
from undersign.core.cache import get_cache
from undersign.core.config import settings
from undersign.core.db import get_session
from undersign.core.i18n import LOCALES, countries, country_choices
from undersign.core.models import Petition, Signature, SignatureStatus
from undersign.core.validation import (
    MAX_LENGTH,
    PARTNER_CODE,
    InvalidFields,
    SignatureInput,
    explain,
    parse_signature,
)
from undersign.organisers import mailings
from undersign.signers import flood, notice, signing, timelock, transparency
from undersign.web import assets, challenges, params
from undersign.web.api.contract import described
from undersign.web.api.fields import Language, Paging
from undersign.web.api.openapi import for_browsers
from undersign.web.errors import REFUSALS
from undersign.web.limits import limiter, sign_limit, token_limit

bp = Blueprint("pages", __name__)

WALL_PAGE_SIZE = 10
REQUESTED_LOCALE = re.compile(r"[a-z]{2}|auto")
JSON = "application/json"


def request_locale(explicit: str | None = None) -> str:
    """Choose the page's language: explicit choice, ?lang=, Accept-Language, English."""
    return i18n.negotiate([explicit, request.args.get("lang")], request.accept_languages.values())


def render(template: str, locale: str, status: int = 200, **context: Any) -> ResponseReturnValue:
    return (
        render_template(
            template,
            t=i18n.messages(locale),
            locale=locale,
            languages=i18n.LANGUAGES,
            locale_with_region=i18n.locale_with_region(locale),
            limits=MAX_LENGTH,
            count_text=partial(i18n.count_text, locale),
            plural=partial(i18n.plural, locale),
            number=partial(i18n.format_number, locale),
            day=partial(i18n.format_date, locale),
            **context,
        ),
        status,
    )


def html_error(status: int) -> ResponseReturnValue:
    return render("error.html", request_locale(), status, error_status=status)


@bp.get("/")
def index() -> ResponseReturnValue:
    locale = request_locale()
    # Closed petitions stay listed, apart, with their final count: what a campaign achieved.
    taking, closed = petitions.open_and_closed(get_session(), datetime.now(UTC))
    return render(
        "index.html",
        locale,
        petitions=[(p, p.text(locale), _count(p.slug)) for p in taking],
        closed=[(p, p.text(locale), _count(p.slug)) for p in closed],
    )


def _count(slug: str) -> int:
    ttl = settings().count_cache_seconds
    count = counting.public_count(get_session(), get_cache(), slug, ttl)
    return int((count or {}).get("signature_count", 0))


def _petition_page(slug: str, locale: str) -> dict[str, Any]:
    petition = petitions.find(get_session(), slug)  # an unknown one is a 404 page
    return {
        "petition": petition,
        "text": petition.text(locale),
        "body_html": markup.render(petition.text(locale)["body"]),
        "is_open": petition.is_open(datetime.now(UTC)),
        "count": _count(slug),
        # The reader's likeliest country first, then all in the language's alphabetical order.
        "countries": country_choices(locale, request.accept_languages.values()),
        # Chosen for them only when the guess is good (kk: Kazakhstan); they can change it.
        "preselected_country": i18n.preselected_country(locale, request.accept_languages.values()),
    }


def _wall_stats_and_sharing(petition: Petition, locale: str) -> dict[str, Any]:
    """The wall's page, the pictures of where and when people signed, and the share links."""
    session, t = get_session(), i18n.messages(locale)
    page = request.args.get("page", "1")
    # ASCII digits only: "²" and other scripts' digits pass isdigit() and fail int().
    wanted = page.isascii() and page.isdigit() and 0 < len(page) < 6 and int(page) > 0
    page_number = int(page) if wanted else 1
    stats = json.loads(petitions.cached_stats(session, get_cache(), petition))
    names = dict(countries(locale))
    base_url = settings().base_url
    page_url = f"{base_url}/p/{petition.slug}"
    # Shared in the page's language: a Kazakh reader's friends open it in Kazakh too.
    share_url = f"{page_url}?lang={locale}"
    paging = Paging(page=page_number, per_page=WALL_PAGE_SIZE)
    entries, more = petitions.wall(session, petition, paging.offset, paging.per_page)
    return {
        "page_url": page_url,
        "share_url": share_url,
        "wall": paging.answer("signatures", entries, has_more=more),
        "country_names": names,
        "bars": charts.country_bars(stats["by_country"], names, t["stats"]["other_countries"]),
        "growth": charts.growth(stats["by_day"]),
        "share": share_links(
            share_url,
            t["share"]["invitation"].format(
                title=i18n.inner_quotes(locale, petition.text(locale)["title"])
            ),
        ),
        **_picture_and_news(petition, locale),
    }


def _picture_and_news(petition: Petition, locale: str) -> dict[str, Any]:
    """The petition's picture (or its generated card, for link previews) and its updates."""
    session, base_url = get_session(), settings().base_url
    picture = images.shown(session, petition)
    if picture:
        preview = f"{base_url}/p/{petition.slug}/share.jpg?v={picture.version}"
    else:
        preview = f"{base_url}/p/{petition.slug}/card.png?lang={locale}"
    return {
        "picture": picture,
        "preview_url": preview,
        "news": news.shown(session, petition, locale),
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
    page = render(
        "petition.html",
        locale,
        form={"source": _partner_source()},
        errors={},
        **context,
        **_wall_stats_and_sharing(context["petition"], locale),
        witnessed=_witnessed(context["petition"], locale),
    )
    return _holding_a_form(page)


def _witnessed(petition: Petition, locale: str) -> dict[str, str] | None:
    """Say who verified the count lately, and how long ago the last did; None if no one."""
    found = transparency.witnessed(get_session(), petition.id)
    if not found:
        return None
    t = i18n.messages(locale)["log"]
    minutes = int((datetime.now(UTC) - found[0][1]).total_seconds() // 60)
    ago = i18n.plural(locale, t["minutes_ago"], minutes) if minutes > 0 else t["just_now"]
    return {"names": ", ".join(sorted(name for name, _ in found)), "ago": ago}


@bp.get("/p/<slug>/check")
def check_page(slug: str) -> ResponseReturnValue:
    """Let anyone check a receipt against the petition's log, in their own browser.

    The receipt comes after a # (never sent here); check.js verifies what the API answers.
    """
    locale = request_locale()
    petition = petitions.find(get_session(), slug)  # an unknown one is a 404 page
    return render(
        "check.html",
        locale,
        petition=petition,
        text=petition.text(locale),
        lang_base=f"/p/{slug}/check",
    )


@bp.get("/embed/<slug>")
def embed_page(slug: str) -> ResponseReturnValue:
    """The widget as a page of its own, for partner sites that allow no third-party script."""
    locale, source = request_locale(), _partner_source()
    context = _petition_page(slug, locale)
    # Which sites may frame it (the partner's) is in headers.py, with every page's headers.
    page = render(
        "embed.html", locale, form={"source": source}, errors={}, source=source, **context
    )
    return _holding_a_form(page)


def _holding_a_form(page: ResponseReturnValue) -> Response:
    """Keep a page with a sign form out of shared caches: its token is fresh for each reader.

    A proxy would hand one token to everyone for as long as it kept the page, and one
    kept longer than the token lives would serve a form that can only be refused. The
    reader's own browser may keep it, if it asks again before showing it (no-cache).
    """
    response = make_response(page)
    response.cache_control.private = True
    response.cache_control.no_cache = True
    return response


def form_token(slug: str) -> str:
    """Return the token a page puts in its sign form: the proof a post came from that page."""
    return tokens.make_form(settings().signing_keys, slug)


# The sign form carries its token whichever view renders it (the page, the embed, its errors).
bp.add_app_template_global(form_token, "form_token")


# Every page's footer and form link a petition's notice, whichever view rendered them.
bp.add_app_template_global(notice.path, "notice_path")


@bp.app_template_filter("machine_time")
def machine_time(moment: str | datetime) -> str:
    """Return a moment as <time datetime> takes it: UTC, to the second.

    HTML allows at most three digits after the second, and the W3C checker refuses
    the six that isoformat() writes.
    """
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@bp.get("/p/<slug>/privacy")
def privacy_notice(slug: str) -> ResponseReturnValue:
    """Tell a signer who holds their data, for how long, who sees it, and how to take it back."""
    locale = request_locale()
    petition = petitions.find(get_session(), slug)  # an unknown one is a 404 page
    return render(
        "privacy.html",
        locale,
        petition=petition,
        text=petition.text(locale),
        notice=notice.for_petition(petition, settings()),
        period=partial(notice.duration, locale),
    )


# The form's one field beyond the sign request's: the token its page issued (_from_our_page).
FORM_TOKEN_FIELD = {
    "type": "object",
    "properties": {
        "form_token": {"type": "string", "description": "What the petition page's form holds."}
    },
    "required": ["form_token"],
}


def _pages_only(described: dict[str, Any]) -> None:
    """Describe the form's post: a form body, every answer a page (the door's 400 aside)."""
    content = described["requestBody"]["content"]
    body = content.pop("application/json")
    body["schema"] = {"allOf": [body["schema"], FORM_TOKEN_FIELD]}
    content["application/x-www-form-urlencoded"] = body
    for code, answered in described["responses"].items():
        if code != "400":
            answered["content"] = {"text/html": {"schema": {"type": "string"}}}
    for_browsers(described)


@bp.post("/p/<slug>")
@limiter.shared_limit(sign_limit, scope="sign")
@described(
    "Sign with the plain form; answered with the thank-you page, or the form and its errors",
    (202, "Pending verification (the thank-you page)", str),
    {
        200: "Signing is fast here now: a page that waits a few seconds, then sends the "
        "signature on by itself (GET /p/{slug}/wait/{token}, a meta refresh and a link).",
        403: "Not from the petition's page: no valid form token, or another site's Origin "
        "(a page saying to reload the petition and sign again).",
        404: "No such petition.",
        409: "The petition is closed (the form, saying so).",
        422: "Invalid fields (the form, each error beside its field).",
    },
    body=SignatureInput,
    query=Language,
    reads=False,  # the form's fields are read as the JSON route's (core.validation)
    adjust=_pages_only,
)
def sign_page(slug: str) -> ResponseReturnValue:
    """Take a signature from the no-JavaScript form; answer with the thank-you page or the form.

    When signing runs fast (the flood defence would ask a script to solve a challenge), a
    browser without JavaScript cannot solve one: its post waits a few seconds instead.
    """
    form = request.form
    locale = request_locale(form.get("locale"))
    context = _petition_page(slug, locale)
    if not _from_our_page(slug):
        return render("form_refused.html", locale, 403, petition=context["petition"])
    return _signed(slug, form, locale, context, partial(challenges.admit, slug, None))


def _signed(
    slug: str,
    form: MultiDict[str, str],
    locale: str,
    context: dict[str, Any],
    admit: Callable[[], None],
) -> ResponseReturnValue:
    """Take a form's signature, let through by `admit`: the thank-you page, or the form again."""
    try:
        signature = parse_signature(form, default_locale=locale)
        admit()
        signing.sign(get_session(), slug, signature, settings=settings(), client=params.client())
    except flood.ChallengeRequired as asked:
        ticket, seconds = challenges.hold(slug, form.to_dict(flat=False), asked)
        return _waiting(ticket, seconds, locale, context)
    except (InvalidFields, signing.PetitionClosed) as refused:
        problems = refused.fields if isinstance(refused, InvalidFields) else {}
        status = 422 if isinstance(refused, InvalidFields) else 409
        return render(
            "petition.html",
            locale,
            status,
            form=form,
            errors=explain(problems, i18n.messages(locale)["errors"], locale),
            closed=status == 409,
            **context,
            **_wall_stats_and_sharing(context["petition"], locale),
        )
    return render(
        "signed.html",
        locale,
        202,
        **context,
        **_wall_stats_and_sharing(context["petition"], locale),
    )


@bp.get("/p/<slug>/wait/<token>")
@limiter.shared_limit(sign_limit, scope="sign")
def waited_sign(slug: str, token: str) -> ResponseReturnValue:
    """Send on a form post the time-lock held, once its wait is over, and only once.

    The token (a ticket) holds the key the post was sealed with; whoever follows it early
    is told to wait again, whoever follows it twice is told it was sent.
    """
    try:
        held = challenges.held(slug, token)
    except timelock.Unknown:
        return _held_no_more(slug)
    form: MultiDict[str, str] = MultiDict(held.form)
    locale = request_locale(form.get("locale"))
    context = _petition_page(slug, locale)
    left = challenges.seconds_left(held)
    if left > 0:
        return _waiting(token, left, locale, context)
    try:
        challenges.release(slug, token)  # ours alone now: a racing follow finds nothing
    except timelock.Unknown:
        return _held_no_more(slug)
    return _signed(slug, form, locale, context, lambda: None)


def _waiting(ticket: str, seconds: int, locale: str, context: dict[str, Any]) -> Response:
    """Answer the page that waits `seconds`, then follows the ticket's address by itself."""
    petition = context["petition"]
    then = url_for("pages.waited_sign", slug=petition.slug, token=ticket, lang=locale)
    page = render("waiting.html", locale, petition=petition, seconds=seconds, then=then)
    return _unkept(page)


def _held_no_more(slug: str) -> ResponseReturnValue:
    """Say a waiting link has nothing to send: sent already, expired, or not ours."""
    locale = request_locale()
    petition = petitions.find(get_session(), slug)  # an unknown petition: a 404 page
    return render("waiting.html", locale, 410, petition=petition, gone=True)


def _unkept(page: ResponseReturnValue) -> Response:
    """Keep a page whose text holds a ticket out of every cache, the browser's too.

    The pages at a ticket's own address are kept out by web/headers.py, whatever they say.
    """
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


def _from_our_page(slug: str) -> bool:
    """Tell whether a form post came from this petition's page, not from another site.

    Another site's page can post our form from its visitors' browsers (to sign in their
    name, or to have us email anyone), but it cannot send our Origin: a browser names
    the page that posted. `Origin: null` (a sandboxed frame) could be anyone's. Browsers
    too old to send an Origin still need the token, which only our page hands out.
    """
    origin = request.headers.get("Origin")
    ours = (settings().origin, settings().onion_url)  # the normal address or the onion service
    if origin is not None and origin not in ours:
        return False
    try:
        tokens.check_form(settings().signing_keys, slug, request.form.get("form_token", ""))
    except tokens.InvalidToken:
        return False
    return True


def _link_problem(token: str, purpose: tokens.Purpose, done: str) -> str | None:
    """Tell before any click whether a link is broken or expired, so the page can say so."""
    keys = settings().signing_keys
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
    signer = signing.link_owner(get_session(), token, settings().signing_keys, purpose)
    locale = i18n.negotiate(
        [request.args.get("lang"), signer.locale if signer else None],
        request.accept_languages.values(),
    )
    petition = signer.petition if signer else None
    if signer is not None and context.get("outcome") == SignatureStatus.VERIFIED:
        context.update(_after_confirming(signer, locale))
    return render(
        template,
        locale,
        status,
        petition=petition,
        title=petition.text(locale)["title"] if petition else None,
        **context,
    )


def _after_confirming(signer: Signature, locale: str) -> dict[str, Any]:
    """What the confirmed signer can do next: share the petition, go on to the organisers' page."""
    petition = signer.petition
    page_url = f"{settings().base_url}/p/{petition.slug}?lang={locale}"  # shared in this language
    invitation = i18n.messages(locale)["share"]["invitation"].format(
        title=i18n.inner_quotes(locale, petition.text(locale)["title"])  # inside «…»
    )
    return {
        "page_url": page_url,
        "share_url": page_url,
        "share": share_links(page_url, invitation),
        "thanks_url": thanks.destination(get_session(), signer),
        "receipt": transparency.receipt_of(settings(), signer),  # the signature log's
    }


def _confirmed_before(token: str) -> dict[str, Any] | None:
    """Return what the confirmed page shows, if this link's signature was confirmed already."""
    keys = settings().signing_keys
    signer = signing.link_owner(get_session(), token, keys, tokens.VERIFY)
    if signer is None or signer.status != SignatureStatus.VERIFIED:
        return None
    return {
        "signature_count": _count(signer.petition.slug),
        "withdraw_token": tokens.make(keys, tokens.WITHDRAW, signer.id),
    }


# Why a link's action failed, as the result page names it, and the status it answers with.
LINK_FAILURES: dict[type[Exception], tuple[str, int]] = {
    signing.SignatureWithdrawn: ("verify_withdrawn", 409),
    signing.AlreadySigned: ("already_signed", 409),
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
    # A confirmation link opened again (from the email, or the page reloaded) is not "one more
    # step": the signer is told it is done, with what the first confirmation showed.
    before = _confirmed_before(token) if purpose is tokens.VERIFY else None
    if before is not None:
        return _token_page(
            token, purpose, "token_result.html", outcome=done, result=before, again=True
        )
    if request.method == "GET":
        return _token_page(token, purpose, "token_action.html", action=action)
    keys = settings().signing_keys
    try:
        result = act(get_session(), get_cache(), token, keys)
    except tuple(LINK_FAILURES) as failure:
        outcome, status = LINK_FAILURES[type(failure)]
        return _token_page(token, purpose, "token_result.html", status, outcome=outcome)
    return _token_page(token, purpose, "token_result.html", outcome=done, result=result)


@bp.route("/verify/<token>", methods=["GET", "POST"])
@limiter.limit(token_limit, methods=["POST"])
def verify_page(token: str) -> ResponseReturnValue:
    return _link_page(token, tokens.VERIFY, "verify", SignatureStatus.VERIFIED, signing.verify)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe_page(token: str) -> ResponseReturnValue:
    """Ask (GET) or stop (POST) every later update about the petition to this link's signer.

    A mail client's one-click POST (RFC 8058: body List-Unsubscribe=One-Click)
    lands here too and needs no page: the answer's status is all it reads. No
    per-address limit: a mail provider sends all its users' one-click posts from
    a few addresses, and a sealed token leaves nothing to guess.
    """
    session, keys = get_session(), settings().signing_keys
    try:
        if request.method == "POST":
            found = mailings.unsubscribe(session, keys, token)
        else:
            found = mailings.subscriber(session, keys, token)
    except tokens.InvalidToken:
        return render("unsubscribe.html", request_locale(), 400, state="invalid", title=None)
    signer = found.signature
    locale = i18n.negotiate(
        [request.args.get("lang"), signer.locale if signer else None],
        request.accept_languages.values(),
    )
    state = "test" if signer is None else "done" if found.unsubscribed else "ask"
    title = signer.petition.text(locale)["title"] if signer else None
    return render("unsubscribe.html", locale, state=state, title=title)


@bp.route("/withdraw/<token>", methods=["GET", "POST"])
@limiter.limit(token_limit, methods=["POST"])
def withdraw_page(token: str) -> ResponseReturnValue:
    return _link_page(
        token, tokens.WITHDRAW, "withdraw", SignatureStatus.WITHDRAWN, signing.withdraw
    )


# A versioned address (?v=digest) never changes its bytes: kept a year. Without the
# version, or with an old one, the answer is the current picture, kept briefly.
YEAR = 365 * 24 * 3600
BRIEFLY = 300


@bp.get("/p/<slug>/<any('image.jpg', 'share.jpg'):name>")
def picture(slug: str, name: str) -> ResponseReturnValue:
    """Serve a petition's picture: the page's size, or the link previews' (share.jpg)."""
    petition = petitions.find(get_session(), slug)
    try:
        body, digest = images.encoding(get_session(), petition, social=name == "share.jpg")
    except images.NoImage:
        return html_error(404)
    current = request.args.get("v") == digest[: images.VERSION_LENGTH]
    response = Response(body, mimetype="image/jpeg")
    response.set_etag(digest)
    response.cache_control.public = True
    response.cache_control.max_age = YEAR if current else BRIEFLY
    response.cache_control.immutable = current
    return response.make_conditional(request)


@bp.get("/p/<slug>/card.png")
def share_card(slug: str) -> ResponseReturnValue:
    """Serve the generated card: title and count in the asked language, for link previews."""
    locale = request_locale()
    petition = petitions.find(get_session(), slug)
    png = cards.cached_png(
        get_session(), get_cache(), petition, locale, settings().count_cache_seconds
    )
    response = Response(png, mimetype="image/png")
    response.cache_control.public = True
    response.cache_control.max_age = cards.CACHE_SECONDS
    if "lang" not in request.args:
        response.vary.add("Accept-Language")
    response.add_etag()
    return response.make_conditional(request)


# What the widget says, out of a language's words (the rest are the pages', the emails' and
# the organisers'): a section by name, whole (None) or only the keys listed.
WIDGET_WORDS: dict[str, tuple[str, ...] | None] = {
    "petition": None,
    "form": None,
    "errors": None,
    "sign": None,
    "widget": None,
    "overload": None,
    "share": None,
    "privacy": ("link",),
    "content": ("closes_on",),
}


def _words(locale: str, *, widget_only: bool) -> dict[str, Any]:
    """Return a language's words with its country names, the reader's likeliest first.

    The form's limits and the languages come along, so the widget repeats neither.
    """
    every = i18n.messages(locale)
    chosen = every
    if widget_only:
        chosen = {
            section: every[section] if keys is None else {key: every[section][key] for key in keys}
            for section, keys in WIDGET_WORDS.items()
        }
    return {
        **chosen,
        "locale": locale,
        "locales": LOCALES,
        "limits": MAX_LENGTH,
        "countries": country_choices(locale, request.accept_languages.values()),
        "country": i18n.preselected_country(locale, request.accept_languages.values()),
        **({} if widget_only else {"months": i18n.month_names(locale)}),
    }


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


@cache
def words_version() -> str:
    """Return the version of every language's words: it changes only with a release."""
    every = [
        (i18n.messages(name), i18n.countries(name), i18n.month_names(name)) for name in LOCALES
    ]
    digest = hashlib.sha256(_json([every, LOCALES, MAX_LENGTH])).hexdigest()
    return digest[: assets.VERSION_LENGTH]


def widget_url() -> str:
    """Return widget.js's versioned address, for the service's own pages (a year's cache)."""
    return url_for("pages.widget", v=widget_script().version)


bp.add_app_template_global(widget_url, "widget_url")

# Where widget.js holds the words it says when it cannot reach the service at all.
UNREACHABLE_WORDS = b"/* words when unreachable */ {}"


def widget_script() -> assets.Encoded:
    """Return widget.js as it is served: the file, with its words for a failed load."""
    return _widget_script(assets.file("widget.js").digest)


@lru_cache(maxsize=4)
def _widget_script(digest: str) -> assets.Encoded:
    """Return widget.js with its words for a failed load: they cannot come with the data.

    A partner's policy without connect-src for us (or no network) leaves the widget
    with no words of its own but these, in each language: `digest` is the file's.
    """
    source = assets.file("widget.js").body
    said = ("failed", "blocked", "blocked_console", "open")
    words = {name: {key: i18n.messages(name)["reach"][key] for key in said} for name in LOCALES}
    return assets.encode(source.replace(UNREACHABLE_WORDS, _json(words), 1))


@bp.get("/widget.js")
def widget() -> ResponseReturnValue:
    """Serve the widget: a partner's /widget.js is kept briefly, so releases reach it soon."""
    script = widget_script()
    return assets.answer(script, "text/javascript", version=script.version)


@bp.get("/frame.js")
def frame_script() -> ResponseReturnValue:
    """Serve the script that fits a partner's frame to the form: no inline code on their page."""
    return assets.send_file("frame.js", "text/javascript")


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """Serve the icon browsers ask for on every page (and the API's, which link none)."""
    return assets.send_file("favicon.ico", "image/vnd.microsoft.icon")


@bp.get("/widget/<slug>.json")
def widget_data(slug: str) -> ResponseReturnValue:
    """Give the widget all it shows at once: its words and the petition, in one language.

    One request after widget.js rather than two in a row (words, then the petition in
    the language they chose): a partner's page has a usable form after three, itself
    included. ?lang= names the language, or "auto" for the browser's choice among ours.
    The browser asks again each time (a 304 while nothing changed): the petition inside
    may close or be edited at any moment, and a page shown again must say so.
    """
    locale = request_locale()
    words = _words(locale, widget_only=True)
    try:
        petition = petitions.find(get_session(), slug)
    except petitions.PetitionNotFound:
        # The words still come, so that the widget says in the reader's language what is wrong.
        status, code, message = REFUSALS[petitions.PetitionNotFound]
        problem = {"code": code, "message": message}
        missing = Response(_json({"error": problem, "words": words}), status, mimetype=JSON)
        missing.headers["Access-Control-Allow-Origin"] = "*"
        return missing
    data = {"words": words, "petition": petitions.describe(petition, locale, _count(slug))}
    response = assets.answer(assets.encoded(_json(data)), JSON, version=None, max_age=0)
    response.vary.add("Accept-Language")  # "auto", and the country listed first
    return response


@bp.get("/locales/<name>.json")
def locale_file(name: str) -> ResponseReturnValue:
    """Serve a language's words with its country names: everything any page says, at once.

    A language Undersign does not speak, or "auto", gets the one the browser
    prefers among those it does. Under ?v=words_version() it is kept a year: the
    words change only with a release, and the browser's language, which picks "auto"
    and the country listed first, is named in Vary.
    """
    if not REQUESTED_LOCALE.fullmatch(name):
        return html_error(404)
    chosen = name if name in LOCALES else request_locale()
    body = _json(_words(chosen, widget_only=False))
    response = assets.answer(assets.encoded(body), JSON, version=words_version())
    response.vary.add("Accept-Language")
    return response


def overloaded_page(seconds: int) -> Response:
    """Answer a request shed under overload (web/overload.py) with a page in the reader's language.

    A form post gets its own fields back in a form that the page's script sends again
    after `seconds` (js/retry.js), or the reader's press without a script; anything
    else is loaded again by a meta refresh. Nothing was written: no view ran.
    """
    posted = request.method == "POST"
    fields = list(request.form.items(multi=True)) if posted else []
    locale = request_locale(request.form.get("locale") if posted else None)
    page = render(
        "overloaded.html",
        locale,
        503,
        seconds=seconds,
        posted=posted,
        fields=fields,
        again=request.full_path if request.query_string else request.path,
    )
    response = _unkept(page)
    response.headers["Retry-After"] = str(seconds)
    return response
