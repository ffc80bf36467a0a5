"""Generated query strings at every page and file the app serves: never a 5xx.

The JSON API is generated from its OpenAPI document (tests/web/api); the pages have no
document, so their routes are read from the URL map, and hypothesis writes the queries:
the parameters they read (page, lang, source, v) and others, with any text as values.
"""

from __future__ import annotations

import os
from datetime import date
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.slow

# One seed that never changes (a failure reproduces) and one that changes every day, so that
# CI tries new requests over time; a failing run names its seed (UNDERSIGN_TEST_SEED=...).
SEEDS = sorted({0, int(os.environ.get("UNDERSIGN_TEST_SEED") or date.today().toordinal())})
KNOWN = ["page", "lang", "source", "v", "per_page"]
# Numbers as people and scripts write them: "²", "٣" and "３" are digits to str.isdigit().
NUMBERISH = st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=4)
VALUES = st.text(max_size=30) | NUMBERISH | st.integers().map(str)
QUERIES = st.dictionaries(st.sampled_from(KNOWN) | st.text(max_size=8), VALUES, max_size=4)
BUDGET = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


def page_paths(app, slug: str) -> list[str]:
    """Every GET route of the pages, with a real slug and a made-up token filled in."""
    fill = {"slug": slug, "token": "not-a-token", "name": "en"}
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("pages.", "admin_site.")) and "GET" in (rule.methods or ()):
            values = {arg: fill[arg] for arg in rule.arguments if arg != "name"}
            if "name" in rule.arguments:
                values["name"] = "image.jpg" if "image" in rule.rule else "en"
            paths.append(rule.build(values, append_unknown=False)[1])
    return paths


@pytest.mark.parametrize("chosen_seed", SEEDS)
def test_no_generated_query_makes_a_page_fail(app, petition, chosen_seed):
    client = app.test_client()
    paths = page_paths(app, petition)
    assert len(paths) >= 12, paths  # every page and file, not a few

    @seed(chosen_seed)
    @BUDGET
    @given(path=st.sampled_from(paths), query=QUERIES)
    def run(path: str, query: dict[str, str]) -> None:
        url = f"{path}?{urlencode(query)}" if query else path
        answer = client.get(url)
        assert answer.status_code < 500, f"{url} -> {answer.status_code} (seed {chosen_seed})"

    run()
