"""The OpenAPI 3.1 description of every route, served at /api/openapi.json.

Nothing here is written by hand but the words: the paths come from the URL map, the
parameters from each rule's converters and its query model, the bodies and answers from
the models each view is marked with (contract.described).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import JsonSchemaMode
from werkzeug.routing import Rule
from werkzeug.routing.converters import NumberConverter

from undersign.core import auth
from undersign.web import overload
from undersign.web.api.contract import Operation, described, operation_of
from undersign.web.errors import Error

bp = Blueprint("openapi", __name__)

REF = "#/components/schemas/{model}"
ADMIN = "/api/v1/admin"
TOKEN: list[dict[str, list[str]]] = [{"organiserToken": []}]
SECURITY_SCHEMES = {
    "organiserToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from `undersign token create NAME [--partner SOURCE]`.",
    }
}
# Every route can be refused before it runs (a NUL, too big, too long, too often), and
# answered 503 while its database does not answer (errors.database_unavailable).
COMMON = {
    400: "A NUL character in the address or the body.",
    413: "The body is larger than 16 KiB.",
    414: "The URL is longer than 4096 characters.",
    429: "Rate limited; see Retry-After.",
    503: "The database does not answer for now (code `unavailable`); try again after "
    "Retry-After seconds.",
}
# Added to the 503 of every route the overload gate may shed (web/overload.py).
OVERLOADED = (
    "Also answered at once, before the route runs, while the service is overloaded (code "
    "`overloaded`): nothing was kept; send the same request again after Retry-After seconds."
)
ORGANISERS = {
    401: "No token, or a wrong or revoked one.",
    403: "A partner token may not do this, or asked for another partner's signatures.",
    413: "The body is larger than 4 MiB.",
}
UNREADABLE = {400: "The body is not a JSON object.", 415: "The body is not JSON."}
WRONG = {422: "A field or parameter is wrong; `fields` names it."}
WAITING = (429, 503)
RETRY_AFTER = {
    "description": "Seconds to wait before sending the request again.",
    "schema": {"type": "integer"},
}
TEXT = {"type": "string"}
# <converter(arguments):name> in a Flask rule.
VARIABLE = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<arguments>[^)]*)\))?:)?(?P<name>\w+)>")


@bp.get("/api/openapi.json")
@described("This document", (200, "OpenAPI 3.1", dict[str, Any]))
def openapi() -> ResponseReturnValue:
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    if "openapi" not in app.extensions:  # the routes are fixed once the app serves
        app.extensions["openapi"] = document(app)
    return jsonify(app.extensions["openapi"])


def document(app: Flask) -> dict[str, Any]:
    """Describe every route of `app` that is marked with its Operation."""
    routes = [
        (rule, method, found)
        for rule in app.url_map.iter_rules()
        if (found := operation_of(app.view_functions[rule.endpoint])) is not None
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    ]
    schemas, components = _schemas([found for _, _, found in routes])
    paths: dict[str, dict[str, Any]] = {}
    for rule, method, found in routes:
        path = VARIABLE.sub(r"{\g<name>}", rule.rule)
        paths.setdefault(path, {})[method.lower()] = _operation(app, rule, found, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Undersign", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": components.get("$defs", {}),
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


Schemas = dict[tuple[Any, JsonSchemaMode], dict[str, Any]]


def _schemas(operations: list[Operation]) -> tuple[Schemas, dict[str, Any]]:
    """Return each body's, query's and answer's schema, and the components they refer to."""
    shapes: set[tuple[Any, JsonSchemaMode]] = {(Error, "serialization")}
    for found in operations:
        if found.ok[2] is not None:
            shapes.add((found.ok[2], "serialization"))
        if found.body is not None:
            shapes.add((found.body, "validation"))
    inputs = [(shape, mode, TypeAdapter(shape)) for shape, mode in shapes]
    return TypeAdapter.json_schemas(inputs, ref_template=REF, union_format="primitive_type_array")


def _operation(app: Flask, rule: Rule, found: Operation, schemas: Schemas) -> dict[str, Any]:
    described: dict[str, Any] = {"summary": found.summary}
    if found.description:
        described["description"] = found.description
    parameters = _path_parameters(app, rule) + _query_parameters(found.query)
    if parameters:
        described["parameters"] = parameters
    if found.body is not None:
        body = schemas[(found.body, "validation")]
        described["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    described["responses"] = _answers(rule, found, schemas)
    if (action := getattr(app.view_functions[rule.endpoint], "needs", None)) is not None:
        # What the route needs (web.access.needs): the least role, from auth.ACTIONS.
        least = auth.ACTIONS[action]
        described["x-undersign-needs"] = {"action": action, "role": least}
        everywhere = " for every petition" if action in auth.EVERYWHERE else ""
        partner = "" if action in auth.PARTNER_ACTIONS else " A partner token never may."
        if least is not auth.Role.VIEWER:  # every token is a viewer at least
            described["responses"]["403"]["description"] = (
                f"The token's role is below {least}{everywhere} (named in `role`).{partner}"
            )
    described["security"] = found.security or (TOKEN if rule.rule.startswith(ADMIN) else None)
    if described["security"] is None:
        del described["security"]
    if found.adjust:
        found.adjust(described)
    return described


def _answers(rule: Rule, found: Operation, schemas: Schemas) -> dict[str, Any]:
    error = schemas[(Error, "serialization")]
    words = dict(COMMON)
    if rule.rule.startswith(ADMIN):
        words |= ORGANISERS
    if found.body is not None and found.reads:
        words |= UNREADABLE
    if (found.body is not None or found.query is not None) and found.reads:
        words |= WRONG
    words |= found.refusals  # a route's own words win
    if _may_be_shed(rule):
        words[503] = f"{words[503]} {OVERLOADED}"
    answers = {str(status): _json(text, error) for status, text in words.items()}
    status, text, shape = found.ok
    if shape is None:  # nothing to say: 204
        answers[str(status)] = {"description": text}
    elif found.files:
        answers[str(status)] = {
            "description": text,
            "content": {media: {"schema": TEXT} for media in found.files},
        }
    else:
        answers[str(status)] = _json(text, schemas[(shape, "serialization")])
    for waiting in WAITING:
        answers[str(waiting)]["headers"] = {"Retry-After": RETRY_AFTER}
    return answers


def _may_be_shed(rule: Rule) -> bool:
    """Tell whether the overload gate may answer `rule` 503 before it runs (web/overload.py)."""
    return not overload.never_shed(rule.rule)


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _path_parameters(app: Flask, rule: Rule) -> list[dict[str, Any]]:
    described = []
    for variable in VARIABLE.finditer(rule.rule):
        schema: dict[str, Any] = TEXT
        converter, arguments = variable["converter"], variable["arguments"]
        if converter == "any":
            schema = {"enum": [item.strip() for item in arguments.split(",")]}
        elif converter:
            made = app.url_map.converters[converter](app.url_map)
            if isinstance(made, NumberConverter):  # within the range its converter matches
                schema = {"type": "integer", "minimum": made.min, "maximum": made.max}
        described.append(
            {"name": variable["name"], "in": "path", "required": True, "schema": schema}
        )
    return described


def _query_parameters(query: type[BaseModel] | None) -> list[dict[str, Any]]:
    """Describe a query model's fields, each a parameter: a query is flat."""
    if query is None:
        return []
    schema = query.model_json_schema(ref_template=REF, union_format="primitive_type_array")
    required = set(schema.get("required", ()))
    described = []
    for name, property_ in schema["properties"].items():
        parameter = {"name": name, "in": "query", "schema": property_}
        if "description" in property_:
            parameter["description"] = property_["description"]
        if name in required:
            parameter["required"] = True
        described.append(parameter)
    return described


def for_browsers(described: dict[str, Any], *codes: str) -> None:
    """Let `codes` (and 503) also answer a browser's plain form post with a page.

    The door's 400 (a NUL character) and 414 answer such a post in plain text.
    """
    for code in (*codes, "503"):
        described["responses"][code]["content"]["text/html"] = {"schema": TEXT}
    for door in ("400", "414"):
        described["responses"][door]["content"]["text/plain"] = {"schema": TEXT}
