"""Renders bench/results/*.json (gitignored) into bench/RESULTS.md, the committed summary.

`make bench` runs it after the benchmarks; by hand: `.venv/bin/python -m bench.summary`.
Only the benchmarks with a JSON file are rewritten: the sections of the others are kept as
RESULTS.md has them, so running one benchmark (on a fresh checkout, say) replaces only its own.
Each benchmark gets its setting (server, load, CPUs), its goals and the ones it missed, and one
row per measured latency distribution (any mapping with `*_ms` percentiles, wherever it sits).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
SUMMARY_FILE = BENCH_DIR / "RESULTS.md"
PERCENTILES = ("p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms")
SETTING = ("server", "load", "cpus", "measuring_seconds")

HEADER = """# Benchmark results

The latest figures of `make bench`, rewritten by it (`bench/summary.py`) from the JSON each
benchmark leaves in `bench/results/` (not committed; every figure and the full setting are there).
A run rewrites the sections of the benchmarks it ran and keeps the others. Measured on a 2-core
machine shared with other work: compare runs, not single numbers.
"""


Distribution = tuple[tuple[str, ...], Mapping[str, Any]]


def distributions(node: Any, path: tuple[str, ...] = ()) -> Iterator[Distribution]:
    """Every mapping holding latency percentiles, with the keys leading to it."""
    if not isinstance(node, Mapping):
        return
    if any(key in node for key in PERCENTILES):
        yield path, node
        return
    for key, value in node.items():
        yield from distributions(value, (*path, str(key)))


def figures(node: Any) -> dict[str, float]:
    """A target's own scalar figures (speedups, throughput), booleans and nested data aside."""
    if not isinstance(node, Mapping):
        return {}
    return {
        key: value
        for key, value in node.items()
        if isinstance(value, int | float) and not isinstance(value, bool) and not key.endswith("_bytes")
    }


def number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) and not isinstance(value, bool) else "-"


def render_benchmark(name: str, result: Mapping[str, Any]) -> str:
    lines = [f"## {result.get('benchmark', name)}", ""]
    lines.extend(f"- {key.replace('_', ' ')}: {result[key]}" for key in SETTING if key in result)
    goals = result.get("goals")
    if isinstance(goals, Mapping) and goals:
        lines.append("- goals: " + ", ".join(f"{key} {number(value)}" for key, value in goals.items()))
    if "goals_missed" in result:
        missed = result["goals_missed"] or []
        lines.append("- goals missed: " + (", ".join(f"`{goal}`" for goal in missed) if missed else "none"))
    rows = list(distributions(result.get("targets", result)))
    if rows:
        columns = [key for key in PERCENTILES if any(key in stats for _, stats in rows)]
        found = result.get("targets")
        targets: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        lines += [
            "",
            "| measurement | " + "".join(f"{key.removesuffix('_ms')} ms | " for key in columns) + "figures |",
            "|---|" + "---:|" * len(columns) + "---|",
        ]
        shown_for: set[str] = set()
        for path, stats in rows:
            # A target's own figures (speedup, ...) once, on its first row.
            target = path[0] if path else ""
            own = figures(targets.get(target)) if target not in shown_for else {}
            shown_for.add(target)
            lines.append(
                f"| {' · '.join(path) or name} | "
                + " | ".join(number(stats.get(key)) for key in columns)
                + " | "
                + ", ".join(f"{key} {number(value)}" for key, value in own.items())
                + " |"
            )
    return "\n".join(lines) + "\n"


def sections(summary: str) -> dict[str, str]:
    """The `## <benchmark>` sections of a RESULTS.md, by benchmark (each with its heading)."""
    found: dict[str, str] = {}
    for part in ("\n" + summary).split("\n## ")[1:]:
        name = part.split("\n", 1)[0].strip()
        found[name] = "## " + part.rstrip("\n") + "\n"
    return found


def render(results: Mapping[str, Mapping[str, Any]], previous: str = "") -> str:
    """RESULTS.md: a section per result, and `previous`'s sections of benchmarks without one."""
    rendered = {
        str(result.get("benchmark", name)): render_benchmark(name, result) for name, result in results.items()
    }
    kept = {name: text for name, text in sections(previous).items() if name not in rendered}
    merged = kept | rendered
    if not merged:
        return HEADER + "\nNo results yet: run `make bench`.\n"
    return HEADER + "".join("\n" + text for _, text in sorted(merged.items()))


def load(directory: Path) -> dict[str, Mapping[str, Any]]:
    return {path.stem: json.loads(path.read_text()) for path in sorted(directory.glob("*.json"))}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="directory of <benchmark>.json")
    parser.add_argument("--output", type=Path, default=SUMMARY_FILE)
    args = parser.parse_args(argv)
    previous = args.output.read_text() if args.output.exists() else ""
    args.output.write_text(render(load(args.results), previous))
    print(f"wrote {args.output.name}")


if __name__ == "__main__":
    main()
