"""The layout keeps its promises: data flows one way, views hold no SQL, imports make no loop."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "server" / "undersign"
# The views: they parse, call a service, and answer.
VIEWS = ("api/", "pages.py", "admin_site.py", "health.py")
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


def top_level_imports(path: Path, known: set[str]) -> set[str]:
    """Return the package's modules that `path` imports when it is loaded.

    Imports inside functions (made late on purpose) and under TYPE_CHECKING are left out.
    """
    tree = ast.parse(path.read_text("utf-8"))
    imported: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef):
                break
            if isinstance(inner, ast.Import):
                imported |= {alias.name for alias in inner.names}
            elif isinstance(inner, ast.ImportFrom) and inner.module:
                imported.add(inner.module)
                imported |= {f"{inner.module}.{alias.name}" for alias in inner.names}
    return imported & known


def import_graph() -> dict[str, set[str]]:
    found = modules()
    return {name: top_level_imports(path, set(found)) - {name} for name, path in found.items()}


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


def test_the_mail_worker_does_not_load_the_web_layer() -> None:
    graph = import_graph()
    reached, todo = set(), ["undersign.mail.worker"]
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo.extend(graph.get(name, ()))
    web = {"undersign.server", "undersign.pages", "undersign.health", "undersign.api"}
    assert not {name for name in reached if name.startswith(tuple(web))}


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
