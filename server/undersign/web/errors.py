"""The one JSON error shape, and the handlers that make every failure use it."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, make_response, request
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError

from undersign.campaigns.petitions import InvalidPetition, PetitionNotFound
from undersign.core.db import close_session
from undersign.organisers.moderation import InvalidAction, SignatureNotFound
from undersign.organisers.partners import InvalidPartner, PartnerNotFound
from undersign.organisers.webhooks import InvalidWebhook, WebhookNotFound
from undersign.signers.signing import PetitionClosed
from undersign.web.request_log import route

log = logging.getLogger(__name__)

# What a browser's plain form sends: its errors are answered with pages, never JSON.
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "invalid_fields",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}
# What a 503 asks a client to wait: a database restart or failover takes seconds.
RETRY_AFTER_SECONDS = 5


# What the services raise when a client asked for what cannot be: status, code and
# message (None: the exception's own words, which name the field's problem).
REFUSALS: dict[type[Exception], tuple[int, str, str | None]] = {
    PetitionNotFound: (404, "not_found", "There is no petition at this address."),
    SignatureNotFound: (404, "not_found", "There is no such signature."),
    PartnerNotFound: (404, "not_found", "There is no such partner."),
    WebhookNotFound: (404, "not_found", "There is no such webhook."),
    PetitionClosed: (409, "petition_closed", "This petition no longer takes signatures."),
    InvalidPetition: (422, "invalid_fields", None),
    InvalidPartner: (422, "invalid_fields", None),
    InvalidWebhook: (422, "invalid_fields", None),
    InvalidAction: (422, "invalid_fields", None),
}


class APIError(Exception):
    """An answer other than success, raised from a view and turned into JSON."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: dict[str, str] | None = None,
        role: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields
        self.role = role


class Problem(BaseModel):
    code: str
    message: str
    # Each wrong field or parameter with what is wrong with it, in the client's words.
    fields: dict[str, str] = Field(default_factory=dict)
    # On a 403: the least role whose token would be allowed (auth.ACTIONS).
    role: str | None = None


class Error(BaseModel):
    """Every answer other than success, as json_error writes it."""

    error: Problem


def json_error(
    status: int,
    code: str,
    message: str,
    fields: dict[str, str] | None = None,
    role: str | None = None,
) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    if role:
        body["role"] = role
    response = jsonify(error=body)
    response.status_code = status
    return response


def database_unavailable(error: Exception) -> bool:
    """Tell whether `error` says the database cannot be reached, rather than refusing a statement.

    OperationalError covers a connection refused, cut or timed out (and SQLite's
    busy database); InterfaceError a connection already closed; PoolTimeout every
    connection busy for longer than the pool waits.
    """
    if isinstance(error, OperationalError | InterfaceError | PoolTimeout):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def wants_json() -> bool:
    """Answer errors as JSON on the API, except to a browser's plain form post."""
    return request.path.startswith("/api/") and request.mimetype not in FORM_TYPES


def init_app(app: Flask, html_error: Any) -> None:
    """Answer API errors as JSON and page errors with `html_error(status)`."""

    @app.errorhandler(APIError)
    def _api_error(error: APIError) -> Response:
        return json_error(error.status, error.code, error.message, error.fields, error.role)

    def _refused(error: Exception) -> Any:
        status, code, message = REFUSALS[type(error)]
        if not wants_json():
            return html_error(status)
        return json_error(status, code, message or str(error))

    for refusal in REFUSALS:
        app.register_error_handler(refusal, _refused)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        status = error.code or 500
        if not wants_json():
            return html_error(status)
        response = json_error(status, CODES.get(status, "error"), error.description or "")
        if status == 405 and error.get_response().headers.get("Allow"):
            response.headers["Allow"] = error.get_response().headers["Allow"]
        return response

    @app.errorhandler(DataError)
    def _refused_by_the_database(error: DataError) -> Any:
        # A value the database cannot store (a NUL character, a number or text
        # beyond a column's range) came from the client: its mistake, not ours.
        # The request's session is rolled back when it closes.
        log.warning("database refused a value on %s %s", request.method, route())
        if not wants_json():
            return html_error(400)
        return json_error(400, "bad_request", "A value in the request cannot be stored.")

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeout)
    def _database_failed(error: Exception) -> Any:
        if not database_unavailable(error):
            return _unexpected(error)  # a statement the database refused: our mistake
        # SQLAlchemy has already dropped a cut connection, and every pooled one as
        # old; ending the session now leaves nothing of this request's transaction
        # behind, and the next request starts afresh.
        close_session()
        log.error(
            "database unavailable (%s) on %s %s", type(error).__name__, request.method, route()
        )
        if wants_json():
            response = json_error(
                503, "unavailable", "The service is briefly unavailable; please try again shortly."
            )
        else:
            response = make_response(html_error(503))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Any:
        # Logged by type and route only: the message could carry what a signer typed,
        # and the path a token (/verify/<token>).
        log.error(
            "unhandled %s on %s %s",
            type(error).__name__,
            request.method,
            route(),
            exc_info=app.debug,
        )
        if isinstance(error, HTTPException):
            return _http_error(error)
        if not wants_json():
            return html_error(500)
        return json_error(500, "internal_error", InternalServerError.description)


NUL_SPELLINGS = (b"\x00", b"%00", b"\\u0000")


def refuse_odd_requests(limit: int) -> Any:
    """Return a before_request hook refusing URLs over `limit` characters (414) and NULs (400).

    PostgreSQL stores no NUL character in text and SQLite does: refusing it at the
    door keeps both databases answering alike, with a 400 instead of a 500.
    """

    def _check() -> Response | None:
        # The raw path and query: building request.full_path cost each request more than this.
        environ = request.environ
        if len(environ.get("PATH_INFO", "")) + len(environ.get("QUERY_STRING", "")) > limit:
            if wants_json():
                return json_error(414, "uri_too_long", "The address is too long.")
            return Response("URI too long", status=414, mimetype="text/plain")
        if _holds_nul():
            if wants_json():
                return json_error(400, "bad_request", "The request holds a NUL character.")
            return Response("Bad request", status=400, mimetype="text/plain")
        return None

    return _check


def _holds_nul() -> bool:
    environ = request.environ
    if "\x00" in environ.get("PATH_INFO", "") or "%00" in environ.get("QUERY_STRING", ""):
        return True
    # Bodies are small (MAX_CONTENT_LENGTH); one that is too big is refused later with 413.
    length = request.content_length or 0
    if request.method not in ("POST", "PUT", "PATCH") or length > (request.max_content_length or 0):
        return False
    if request.mimetype.startswith("image/"):  # a picture's bytes hold NULs; images.py decodes it
        return False
    body = request.get_data(cache=True)
    return any(spelling in body for spelling in NUL_SPELLINGS)
