"""The layout keeps its promises: layers import downwards only, views hold no SQL, no loops."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "server" / "undersign"
# The views: they parse, call a service, and answer.
VIEWS = ("web/api/", "web/pages.py", "web/admin_site.py", "web/health.py")
# Calls that run SQL or end a transaction: the services' work, never a view's.
SESSION_WORK = {"commit", "rollback", "execute", "scalar", "scalars", "flush", "get"}


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def top_level_imports(path: Path, known: set[str], *, late: bool = False) -> set[str]:
    """Return the package's modules that `path` imports when it is loaded.

    Imports under TYPE_CHECKING are left out, and so are those inside functions (made late on
    purpose) unless `late` is true.
    """
    tree = ast.parse(path.read_text("utf-8"))
    imported: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef) and not late:
                break
            if isinstance(inner, ast.Import):
                imported |= {alias.name for alias in inner.names}
            elif isinstance(inner, ast.ImportFrom) and inner.module:
                imported.add(inner.module)
                imported |= {f"{inner.module}.{alias.name}" for alias in inner.names}
    return imported & known


def import_graph(*, late: bool = False) -> dict[str, set[str]]:
    found = modules()
    return {
        name: top_level_imports(path, set(found), late=late) - {name}
        for name, path in found.items()
    }


def cycle_in(graph: dict[str, set[str]]) -> list[str] | None:
    """Return one cycle of `graph` as a path of names, or None."""
    state: dict[str, str] = {}
    trail: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = "open"
        trail.append(name)
        for nxt in sorted(graph[name]):
            if state.get(nxt) == "open":
                return [*trail[trail.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[name] = "done"
        trail.pop()
        return None

    for name in sorted(graph):
        if name not in state and (found := visit(name)):
            return found
    return None


def test_the_import_graph_has_no_cycle() -> None:
    graph = import_graph()
    # A package's __init__ is loaded before its modules anyway; an edge to it is no loop.
    packages = {name for name, path in modules().items() if path.name == "__init__.py"}
    graph = {name: {n for n in edges if n not in packages} for name, edges in graph.items()}
    assert cycle_in(graph) is None, " -> ".join(cycle_in(graph) or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycle_in({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle_in({"a": {"b"}, "b": set()}) is None


# The layers, top to bottom, and what each may import. Folders name them: `undersign/web/`,
# `undersign/core/`... The app factory and the command line sit above everything; the mailer
# (mail/) runs beside the web layer, in its own process, and never loads it. The domain is
# three packages in an order too: signing uses organisers' work (webhooks) and campaigns
# (petitions), organisers' work uses campaigns, and campaigns use only core.
LAYERS = {
    "app": ("undersign", "undersign.__main__", "undersign.cli"),
    "web": ("undersign.web",),
    "mail": ("undersign.mail",),
    "signers": ("undersign.signers",),
    "organisers": ("undersign.organisers",),
    "campaigns": ("undersign.campaigns",),
    "core": ("undersign.core",),
}
DOMAIN = {"signers", "organisers", "campaigns"}
ALLOWED = {
    "app": set(LAYERS),
    "web": {"web", *DOMAIN, "core"},
    "mail": {"mail", *DOMAIN, "core"},
    "signers": {"signers", "organisers", "campaigns", "core"},
    "organisers": {"organisers", "campaigns", "core"},
    "campaigns": {"campaigns", "core"},
    "core": {"core"},
}


def layer_of(module: str) -> str:
    for layer, prefixes in LAYERS.items():
        if any(module == p or module.startswith(p + ".") for p in prefixes if p != "undersign"):
            return layer
    if module == "undersign":
        return "app"
    raise AssertionError(f"{module} is in no layer: add its folder to LAYERS")


def arrows_against_the_layers(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{name} -> {target}"
        for name, targets in graph.items()
        for target in targets
        if layer_of(target) not in ALLOWED[layer_of(name)]
    )


def test_every_module_belongs_to_a_layer() -> None:
    for name in modules():
        layer_of(name)


def test_imports_run_down_the_layers_only() -> None:
    graph = import_graph(late=True)
    # The package __init__ of a layer is a namespace, loaded by Python before any module in it.
    graph = {name: {n for n in edges if n != "undersign"} for name, edges in graph.items()}
    assert arrows_against_the_layers(graph) == []


def test_the_layer_check_finds_an_arrow_upwards() -> None:
    graph = {
        "undersign.core.db": {"undersign.web.pages"},
        "undersign.web.pages": {"undersign.core.db"},
    }
    assert arrows_against_the_layers(graph) == ["undersign.core.db -> undersign.web.pages"]


def test_nothing_below_the_web_layer_reads_the_request() -> None:
    below = [p for n, p in modules().items() if layer_of(n) in {"mail", *DOMAIN, "core"}]
    readers = [
        str(path.relative_to(PACKAGE))
        for path in below
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.ImportFrom)
        and node.module == "flask"
        and {"request", "session"} & {alias.name for alias in node.names}
    ]
    assert readers == []


def test_the_mail_worker_does_not_load_the_web_layer() -> None:
    graph = import_graph()
    reached, todo = set(), ["undersign.mail.worker"]
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo.extend(graph.get(name, ()))
    assert not {name for name in reached if layer_of(name) in {"app", "web"}}


def view_modules() -> list[Path]:
    return [p for p in modules().values() if str(p.relative_to(PACKAGE)).startswith(VIEWS)]


@pytest.mark.parametrize("path", view_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_views_leave_sql_and_transactions_to_the_services(path: Path) -> None:
    tree = ast.parse(path.read_text("utf-8"))
    calls = {
        ast.unparse(node.func)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in SESSION_WORK
        and ast.unparse(node.func.value).removesuffix("()").lower().endswith("session")
    }
    assert not calls, calls
    # Exceptions may be caught by name (sqlalchemy.exc); statements may not be built.
    sql = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and (node.module or "").startswith("sqlalchemy")
        and node.module != "sqlalchemy.exc"
    }
    assert not sql, f"{path.name} imports {sql}"
    assert "counting.forget" not in path.read_text("utf-8")


def test_no_view_or_hook_is_a_coroutine(app):
    """The app skips Flask's per-request check for async functions (Undersign.ensure_sync)."""
    hooks = [
        *app.view_functions.values(),
        *(f for funcs in app.before_request_funcs.values() for f in funcs),
        *(f for funcs in app.after_request_funcs.values() for f in funcs),
        *(f for funcs in app.teardown_request_funcs.values() for f in funcs),
        *(f for funcs in app.teardown_appcontext_funcs for f in [funcs]),
        *app.error_handler_spec[None][None].values(),
    ]
    assert hooks, "the app has views and hooks to check"
    assert not [f for f in hooks if inspect.iscoroutinefunction(inspect.unwrap(f))]
    assert not [path for path in PACKAGE.rglob("*.py") if "async def" in path.read_text()]
