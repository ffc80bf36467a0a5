"""Each route's request and answers, declared once: `described` reads the body and query with
their models before the view runs, and openapi.py describes the route from the same mark.

A body that cannot be read answers as params.json_object says (415, 400); a field or
parameter that is wrong answers 422 naming the first one, in its model's order, with the
words its type declares (fields.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError

from undersign.web import params
from undersign.web.errors import APIError

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Operation:
    """What openapi.py says of a route: its answers, and the models of what it reads.

    `ok` is (status, description, shape): a model, any type pydantic can describe, or None
    for an answer without a body.
    `refusals` are the route's own words for its other answers; the common ones (the door's
    400, 413, 414, 429, 503, and 401 and 403 on the organiser API) are added to them.
    """

    summary: str
    ok: tuple[int, str, Any]
    refusals: dict[int, str] = field(default_factory=dict)
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    description: str | None = None
    # The 200's media types when it is a file or a page, not JSON.
    files: tuple[str, ...] = ()
    # Whatever else the route answers that a model cannot say (a page to a browser's form).
    adjust: Callable[[dict[str, Any]], None] | None = None
    # Who may call it, as OpenAPI's `security` says; None: decided by the route's path.
    security: list[dict[str, list[str]]] | None = None
    # False: the models are described, and the view reads the request itself.
    reads: bool = True
    # Called with the path's values before a wrong field is answered: it raises for what
    # the path names and does not exist, so an unknown petition is a 404 whatever the body.
    lookup: Callable[..., object] | None = None
    # The fields judged after the lookup (None: all); the others are judged before it.
    looked_up_before: frozenset[str] | None = None


def described(
    summary: str,
    ok: tuple[int, str, Any],
    refusals: dict[int, str] | None = None,
    **more: Any,
) -> Callable[[F], F]:
    """Mark a view with its Operation; with a `body` or `query` model, read the request with it
    and pass the result as the view's `body` or `query` argument.

    `reads=False`: the models are only described here and the view reads the request (the
    sign request, whose reading JSON and the no-JavaScript form share: core.validation).
    """
    operation = Operation(summary, ok, refusals or {}, **more)

    def mark(view: F) -> F:
        @wraps(view)
        def reading(**path: Any) -> Any:
            if not operation.reads:
                return view(**path)
            given: dict[str, BaseModel] = {}
            try:
                if operation.body is not None:
                    body = params.json_object()  # 415 or 400 before anything is looked up
                if operation.query is not None:
                    given["query"] = read(operation.query, request.args.to_dict())
                if operation.body is not None:
                    given["body"] = read(operation.body, body)
            except APIError as refused:
                if operation.lookup is not None and _after_lookup(operation, refused):
                    operation.lookup(**path)  # an unknown petition: 404, whatever was sent
                raise
            return view(**path, **given)

        reading.operation = operation  # type: ignore[attr-defined]
        return reading  # type: ignore[return-value]

    return mark


def _after_lookup(operation: Operation, refused: APIError) -> bool:
    """Tell whether the field `refused` names is judged after the path's lookup."""
    judged_after = operation.looked_up_before
    named = set(refused.fields or ())
    return refused.status == 422 and (judged_after is None or bool(judged_after & named))


def operation_of(view: Callable[..., Any]) -> Operation | None:
    """Return the Operation a view was marked with, through any decorator that wraps it."""
    while True:
        found = getattr(view, "operation", None)
        if found is not None or not hasattr(view, "__wrapped__"):
            return found
        view = view.__wrapped__


def read(model: type[M], data: Mapping[str, Any]) -> M:
    """Return `data` checked by `model`, or raise the 422 that names its first wrong field.

    A required field left out is read as null: one answer for both, as before models.
    """
    absent = {
        name: None
        for name, declared in model.model_fields.items()
        if declared.is_required() and name not in data
    }
    try:
        return model.model_validate({**data, **absent})
    except ValidationError as error:
        raise _refusal(error) from None


def _refusal(error: ValidationError) -> APIError:
    first = error.errors(include_url=False)[0]
    context = first.get("ctx") or {}
    name = context.get("field") or ".".join(str(part) for part in first["loc"]) or "body"
    # Every field type refuses in its own words (fields.py); pydantic's are never shown.
    message = first["msg"] if first["type"] == "refused" else f"{name} is not valid"
    return APIError(422, "invalid_fields", context.get("summary") or message, {name: message})
