"""The organiser API in the OpenAPI document: every route, with its token rule."""

from __future__ import annotations

import re

CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def test_every_organiser_route_is_described_with_401_and_403(app, client):
    document = client.get("/api/openapi.json").json
    assert document["components"]["securitySchemes"]["organiserToken"]["scheme"] == "bearer"
    paths = document["paths"]
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/admin"):
            continue
        path = CONVERTER.sub(lambda m: "{" + m.group(1) + "}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = paths.get(path, {}).get(method.lower())
            assert operation, f"{method} {path} is not described"
            assert {"401", "403", "413", "414", "429"} <= set(operation["responses"])
            assert operation["security"] == [{"organiserToken": []}]
