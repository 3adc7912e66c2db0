"""Checks each service's `.env.example` against the environment variables its code reads, both ways.

A `.env.example` documents every setting of its service (`# NAME=default` lines). Problems found
(exit status 1): a variable the service reads that its `.env.example` leaves out, and a variable
the example names that nothing reads (a typo, or a setting since renamed).

What a service reads is what its own runtime code reads (`own_variables`, from the syntax tree: the
calls `env.str("NAME")`, `os.environ.get("NAME")`, `os.getenv("NAME")` and `os.environ["NAME"]`; its
tests, test settings and conftest left out) plus what the hubkit functions it uses read: a hubkit function
counts when the service's code imports it (`identity_settings`, `redis_cache`) or names its dotted
path (`"hubkit.metrics.MetricsMiddleware"`), together with the hubkit functions that one names.
Module-level string constants passed to the environment (`os.environ.get(REDIS_KEY_PREFIX_ENV)`) are resolved.
check_compose uses the same reader for the variables a compose service may set.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = [
    "NOT_RUNTIME",
    "ROOT",
    "SERVICES",
    "example_variables",
    "file_variables",
    "hubkit_functions",
    "main",
    "own_variables",
    "problems",
    "service_variables",
]

ROOT = Path(__file__).resolve().parents[2]
# Directories whose code a running service does not execute.
NOT_RUNTIME = {"tests", "bench", "fuzz", ".venv", "migrations", "staticfiles", "node_modules"}

SERVICES = (
    "backend",
    "services/identity-service",
    "services/communication-service",
    "services/workflow-intelligence-service",
)
HUBKIT = ROOT / "services" / "hubkit" / "src" / "hubkit"
EXAMPLE_LINE = re.compile(r"^#?[ \t]*([A-Z][A-Z0-9_]*)=", re.MULTILINE)
HUBKIT_PATH = re.compile(r"\bhubkit(?:\.\w+)+")
_ENV_CALL = re.compile(r"^(?:env(?:\.\w+)?|os\.environ\.get|os\.getenv)$")


def example_variables(text: str) -> set[str]:
    """The variables an `.env.example` names: `NAME=` and `# NAME=` lines."""
    return set(EXAMPLE_LINE.findall(text))


def runtime_files(directory: Path) -> list[Path]:
    """The service's runtime Python files: not its tests, test settings, conftest, bench, ..."""
    files = []
    for path in sorted(directory.rglob("*.py")):
        relative = path.relative_to(directory)
        if not NOT_RUNTIME.isdisjoint(relative.parts) or path.name == "conftest.py":
            continue
        if path.name == "test.py" and "settings" in relative.parts:
            continue
        files.append(path)
    return files


def own_variables(directory: Path) -> set[str]:
    """Variables the service's own runtime code reads."""
    return {name for path in runtime_files(directory) for name in file_variables(path)}


def file_variables(path: Path) -> set[str]:
    """Variables the module at `path` reads anywhere in it."""
    tree = ast.parse(path.read_text())
    return {name for name in _calls_reading(tree, _module_constants(tree)) if name.isupper()}


def _module_constants(tree: ast.Module) -> dict[str, str]:
    """The module's top-level `NAME = "string"` assignments."""
    return {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _calls_reading(tree: ast.AST, constants: dict[str, str]) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and _dotted(node.value) == "os.environ":
            key = node.slice
        elif isinstance(node, ast.Call) and _ENV_CALL.match(_dotted(node.func)) and node.args:
            key = node.args[0]
        else:
            continue
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            yield key.value
        elif isinstance(key, ast.Name) and key.id in constants:
            yield constants[key.id]


def hubkit_functions(hubkit: Path = HUBKIT) -> dict[str, tuple[set[str], set[str]]]:
    """Each top-level hubkit function or class: (variables it reads, names it mentions)."""
    found: dict[str, tuple[set[str], set[str]]] = {}
    for path in sorted(hubkit.rglob("*.py")):
        tree = ast.parse(path.read_text())
        constants = _module_constants(tree)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                reads = {name for name in _calls_reading(node, constants) if name.isupper()}
                mentions = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
                mentions |= {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}
                previous = found.get(node.name, (set(), set()))
                found[node.name] = (previous[0] | reads, previous[1] | mentions)
    return found


def hubkit_names_used(directory: Path) -> set[str]:
    """What the service's runtime code takes from hubkit: `from hubkit.x import a` and the last
    part of dotted paths in strings (`"hubkit.access.AccessLogMiddleware"` in settings)."""
    names: set[str] = set()
    for path in runtime_files(directory):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "hubkit":
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names.update(match.rsplit(".", 1)[-1] for match in HUBKIT_PATH.findall(node.value))
    return names


def hubkit_variables(mentioned: Iterable[str], functions: dict[str, tuple[set[str], set[str]]]) -> set[str]:
    """What the hubkit functions named in `mentioned` read, following the ones they name."""
    todo = [name for name in mentioned if name in functions]
    seen: set[str] = set()
    reads: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        variables, names = functions[name]
        reads |= variables
        todo.extend(other for other in names if other in functions and other not in seen)
    return reads


def service_variables(directory: Path, functions: dict[str, tuple[set[str], set[str]]]) -> set[str]:
    return own_variables(directory) | hubkit_variables(hubkit_names_used(directory), functions)


def problems(root: Path = ROOT, hubkit: Path = HUBKIT) -> list[str]:
    functions = hubkit_functions(hubkit)
    found: list[str] = []
    for service in SERVICES:
        directory = root / service
        example_file = directory / ".env.example"
        read = service_variables(directory, functions)
        named = example_variables(example_file.read_text()) if example_file.exists() else set()
        prefix = f"{service}/.env.example"
        found.extend(f"{prefix}: {name} is read but not documented" for name in sorted(read - named))
        found.extend(f"{prefix}: {name} is documented but not read" for name in sorted(named - read))
    return found


def main() -> int:
    found = problems()
    for problem in found:
        print(problem, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
