"""The backend's import layers, read from the source: api → edge → services/selectors → models.

Mechanisms sit below the business apps or beside their API: the edge package is imported only by
API modules (an app's api and schemas), apps import each other without a cycle, and only the URL
configuration mounts an app's routers.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[1]
# Mechanism apps the edge package may build on; the business apps are above it, never below.
EDGE_MAY_IMPORT = {"identity", "idempotency"}


def source_modules() -> Iterator[tuple[str, Path]]:
    for package in ("apps", "edge", "config"):
        for path in sorted((BACKEND / package).rglob("*.py")):
            parts = path.relative_to(BACKEND).with_suffix("").parts
            if "tests" in parts or "migrations" in parts:
                continue
            yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):  # function-level imports included
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def app_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "apps" and len(parts) > 1 else None


def is_api_layer(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "config" or (parts[0] == "apps" and len(parts) > 2 and parts[2] in {"api", "schemas"})


def test_only_api_modules_import_the_edge_package() -> None:
    wrong = [
        f"{module} imports {name}"
        for module, path in source_modules()
        if not module.startswith("edge") and not is_api_layer(module)
        for name in imported(path)
        if name == "edge" or name.startswith("edge.")
    ]
    assert wrong == []


def test_the_edge_package_builds_only_on_mechanism_apps() -> None:
    wrong = [
        f"{module} imports {name}"
        for module, path in source_modules()
        if module.startswith("edge")
        for name in imported(path)
        if app_of(name) is not None and app_of(name) not in EDGE_MAY_IMPORT
    ]
    assert wrong == []


def test_only_the_url_configuration_mounts_routers() -> None:
    wrong = [
        f"{module} imports {name}"
        for module, path in source_modules()
        if not module.startswith("config")
        for name in imported(path)
        if app_of(name) not in {None, app_of(module)} and name.split(".")[2:3] == ["api"]
    ]
    assert wrong == []


def app_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every app reachable back from itself, as the path that closes the loop."""
    cycles = []
    for start in sorted(graph):
        stack = [(start, [start])]
        seen: set[str] = set()
        while stack:
            app, trail = stack.pop()
            for target in sorted(graph.get(app, set())):
                if target == start:
                    cycles.append([*trail, start])
                elif target not in seen:
                    seen.add(target)
                    stack.append((target, [*trail, target]))
    return cycles


def test_apps_import_each_other_without_a_cycle() -> None:
    graph: dict[str, set[str]] = {}
    for module, path in source_modules():
        app = app_of(module)
        if app is not None:
            graph.setdefault(app, set()).update(
                other for name in imported(path) if (other := app_of(name)) is not None and other != app
            )
    assert app_cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert app_cycles({"core": {"audit"}, "audit": {"events"}, "events": {"core"}, "x": {"core"}}) == [
        ["audit", "events", "core", "audit"],
        ["core", "audit", "events", "core"],
        ["events", "core", "audit", "events"],
    ]
    assert app_cycles({"core": {"identity"}, "audit": {"identity"}}) == []


def test_nothing_imports_analytics() -> None:
    """Analytics reads every business app; none may depend on it (only the URL configuration mounts it)."""
    wrong = [
        f"{module} imports {name}"
        for module, path in source_modules()
        if app_of(module) != "analytics" and not module.startswith("config")
        for name in imported(path)
        if app_of(name) == "analytics"
    ]
    assert wrong == []
