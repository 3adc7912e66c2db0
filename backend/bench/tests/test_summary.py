"""bench.summary: the committed RESULTS.md rendered from the benchmarks' JSON."""

import json
from pathlib import Path

from bench import summary

RESULT = {
    "benchmark": "analytics",
    "server": "granian wsgi, 2 worker(s)",
    "cpus": 2,
    "targets": {
        "summary": {
            "path": "/analytics/summary",
            "answer_bytes": 612,
            "uncached": {"p50_ms": 68.88, "p95_ms": 142.83, "max_ms": 196.81},
            "cached": {"p50_ms": 7.27, "p95_ms": 7.91, "max_ms": 9.82},
            "speedup": 56.4,
            "naive_agrees": True,
        },
    },
    "goals": {"uncached_p95_ms": 100.0, "speedup": 20.0},
    "goals_missed": ["summary.uncached_p95_ms"],
}


def test_a_result_file_becomes_a_table_of_its_distributions(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    (results / "analytics.json").write_text(json.dumps(RESULT))
    output = tmp_path / "RESULTS.md"
    summary.main(["--results", str(results), "--output", str(output)])
    text = output.read_text()
    assert "## analytics\n" in text
    assert "- server: granian wsgi, 2 worker(s)\n- cpus: 2\n" in text
    assert "- goals: uncached_p95_ms 100, speedup 20\n" in text
    assert "- goals missed: `summary.uncached_p95_ms`\n" in text
    assert "| measurement | p50 ms | p95 ms | max ms | figures |\n" in text
    # The target's own figures once, on its first row; byte counts and booleans left out.
    assert "| summary · uncached | 68.88 | 142.83 | 196.81 | speedup 56.4 |\n" in text
    assert "| summary · cached | 7.27 | 7.91 | 9.82 |  |\n" in text


def test_a_benchmark_without_targets_and_percentiles_it_lacks() -> None:
    text = summary.render({"throughput": {"latency": {"p50_ms": 3, "p99_ms": 9.5}, "goals_missed": []}})
    assert "## throughput\n" in text
    assert "- goals missed: none\n" in text
    assert "| measurement | p50 ms | p99 ms | figures |\n" in text
    assert "| latency | 3 | 9.5 |  |\n" in text


def test_no_results_say_how_to_get_them() -> None:
    assert summary.render({}).endswith("No results yet: run `make bench`.\n")


def test_running_one_benchmark_rewrites_only_its_section(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    output = tmp_path / "RESULTS.md"
    (results / "alpha.json").write_text(json.dumps({"latency": {"p50_ms": 1, "p95_ms": 2}}))
    (results / "beta.json").write_text(json.dumps({"latency": {"p50_ms": 10, "p95_ms": 20}}))
    summary.main(["--results", str(results), "--output", str(output)])
    beta_before = summary.sections(output.read_text())["beta"]

    # A later run of alpha alone: only alpha's JSON is there.
    (results / "beta.json").unlink()
    (results / "alpha.json").write_text(json.dumps({"latency": {"p50_ms": 3, "p95_ms": 4}}))
    summary.main(["--results", str(results), "--output", str(output)])
    text = output.read_text()
    assert list(summary.sections(text)) == ["alpha", "beta"]
    assert summary.sections(text)["beta"] == beta_before
    assert "| latency | 3 | 4 |" in summary.sections(text)["alpha"]
    assert "| latency | 1 |" not in text


def test_the_committed_summary_survives_a_run_without_results(tmp_path: Path) -> None:
    output = tmp_path / "RESULTS.md"
    output.write_text(summary.SUMMARY_FILE.read_text())
    summary.main(["--results", str(tmp_path / "none"), "--output", str(output)])
    assert output.read_text() == summary.SUMMARY_FILE.read_text()
    assert {"analytics", "contacts_import"} <= set(summary.sections(output.read_text()))
