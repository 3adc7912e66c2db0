"""What the wrk benchmarks share: the served stack and wrk driving it in interleaved rounds.

`served(name)` starts a real identity-service, recreates and migrates the backend's database
(with demo data; `fresh=False` keeps the one of an earlier run), lets the caller fill it, then
serves the backend as `make run` does (Granian WSGI, the Procfile's workers and blocking threads,
`config.settings.local` with DEBUG=false, multi-process metrics) and the ceiling (`bench.ceiling`)
on the same Granian command line.
`measure(targets)` drives every target with the same wrk connections (unless a target says
otherwise), warmed up, then in
interleaved rounds so that noise from other work on the machine falls on all of them alike.

Databases are named `<BENCH_DATABASE_PREFIX>_identity_<name>` and `..._backend_<name>`
(prefix `bench_hub` unless told otherwise).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import django
import httpx
import psycopg
from psycopg import sql

from hubkit.testing import (
    PG_ADMIN_URL,
    IdentityService,
    ServiceProcess,
    manage,
    recreate_database,
    start_identity_service,
    venv_python,
)

BACKEND = Path(__file__).resolve().parent.parent
ACME = uuid.UUID("0a0e0000-0000-4000-8000-000000000001")
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "50"))
WRK_THREADS = int(os.environ.get("BENCH_WRK_THREADS", "2"))
SECONDS_PER_ROUND = int(os.environ.get("BENCH_SECONDS_PER_ROUND", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
WARMUP_SECONDS = int(os.environ.get("BENCH_WARMUP_SECONDS", "2"))
# As the Procfile serves the backend (BACKEND_WORKERS defaults to 2, one blocking thread); both
# servers always get the same, BENCH_BLOCKING_THREADS tries another thread count on both.
WORKERS = int(os.environ.get("BACKEND_WORKERS", "2"))
GRANIAN_ARGS = ("--blocking-threads", os.environ.get("BENCH_BLOCKING_THREADS", "1"))
DATABASE_PREFIX = os.environ.get("BENCH_DATABASE_PREFIX", "bench_hub")
REDIS_URL = "redis://127.0.0.1:6379/6"
STARTUP_SECONDS = 120.0

# The start of a wrk script POSTing JSON: numbers its threads (`number`, kept in `started` for
# `done`) and reads the round from the first script argument; counters for `response` to fill.
WRK_POST_PRELUDE = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local started = {}
local next_number = 0
function setup(thread)
  thread:set("number", next_number)
  next_number = next_number + 1
  table.insert(started, thread)
end

run = 0
sent = 0
statuses = {}
failure = nil
function init(args)
  run = tonumber(args[1]) or 0
end
"""


def start_wrk_bench(served_database: str | None = None) -> None:
    """Refuses to run without wrk, then sets Django up here (on the served database, when named)."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: `apt-get install -y wrk` (Debian/Ubuntu), or run `make bench`.")
    if served_database is not None:
        # The generator writes through the ORM: Django in this process works on the served database.
        os.environ["DATABASE_URL"] = backend_database_url(served_database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)


def backend_database_url(name: str) -> str:
    """The URL `served(name)` gives the backend's database (known before it exists)."""
    return f"{PG_ADMIN_URL}/{DATABASE_PREFIX}_backend_{name}"


@dataclass
class Stack:
    identity: IdentityService
    database_url: str
    backend: ServiceProcess
    ceiling: ServiceProcess

    @property
    def api(self) -> str:
        return self.backend.url + "/api/v1"

    def auth(self, email: str) -> dict[str, str]:
        """The Authorization header of a demo user."""
        return {"Authorization": f"Bearer {self.identity.token(email)}"}


def _kept_database(name: str) -> tuple[str, bool]:
    """The database's URL, made when absent; whether it was just made."""
    with psycopg.connect(PG_ADMIN_URL + "/postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return f"{PG_ADMIN_URL}/{name}", False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"{PG_ADMIN_URL}/{name}", True


@contextmanager
def served(name: str, *, prepare: Callable[[str], None] | None = None, fresh: bool = True) -> Iterator[Stack]:
    """identity-service, the backend on its database (migrated, demo data, `prepare(url)`), the ceiling.

    `fresh=False` keeps the backend's database from an earlier run (migrated again; demo data only
    when it is made), for data that takes minutes to generate.
    """
    identity = start_identity_service(
        repo_root=BACKEND.parent,
        database_name=f"{DATABASE_PREFIX}_identity_{name}",
        redis_url=REDIS_URL,
    )
    metrics_dir = tempfile.TemporaryDirectory(prefix="bench-metrics-")
    backend: ServiceProcess | None = None
    ceiling: ServiceProcess | None = None
    try:
        if fresh:
            database_url, made = recreate_database(f"{DATABASE_PREFIX}_backend_{name}"), True
        else:
            database_url, made = _kept_database(f"{DATABASE_PREFIX}_backend_{name}")
        env = {
            # As `make run` serves it, with DEBUG off (the developer default is on).
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DEBUG": "false",
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "IDENTITY_SERVICE_URL": identity.url,
            "IDENTITY_ISSUER": identity.url,
            "PROMETHEUS_MULTIPROC_DIR": metrics_dir.name,
        }
        manage(BACKEND, env, "migrate", "--no-input", "-v", "0")
        if made:
            manage(BACKEND, env, "seed_demo")
        if prepare is not None:
            prepare(database_url)
        python = venv_python(BACKEND)
        backend = ServiceProcess(
            cwd=BACKEND,
            wsgi="config.wsgi:application",
            python=python,
            env=env,
            workers=WORKERS,
            extra_args=GRANIAN_ARGS,
        )
        ceiling = ServiceProcess(
            cwd=BACKEND,
            wsgi="bench.ceiling.wsgi:application",
            python=python,
            env={"DJANGO_SETTINGS_MODULE": "bench.ceiling.settings"},
            workers=WORKERS,
            extra_args=GRANIAN_ARGS,
            ready_path="/hello",
        )
        # Generous: on a busy machine two workers importing Django can take longer than 30 s.
        backend.start(timeout=STARTUP_SECONDS)
        ceiling.start(timeout=STARTUP_SECONDS)
        yield Stack(identity=identity, database_url=database_url, backend=backend, ceiling=ceiling)
    finally:
        if ceiling is not None:
            ceiling.stop()
        if backend is not None:
            backend.stop()
        identity.process.stop()
        metrics_dir.cleanup()


@dataclass(frozen=True)
class Target:
    """What wrk drives: a GET of `url`, or the requests a wrk Lua `script` makes for it.

    A script gets the run's number as its argument (0: the warm-up, then 1..ROUNDS), so that
    each run can make requests of its own (distinct bodies); it may print `status CODE COUNT`
    lines from its `done()`, which come back summed as `statuses`, and `latency pNN MICROSECONDS`
    lines (wrk's own percentiles, e.g. p95, which `--latency` does not print), which come back as
    `latency_ms` (the worst round's). `all_2xx`: any other answer
    stops the benchmark (otherwise the caller checks `non_2xx`). `connections`: other than
    CONNECTIONS, for a slow target whose queued requests would outlive the run (wrk stops, the
    server still works them off during the next target's run).
    """

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    script: Path | None = None
    all_2xx: bool = True
    connections: int | None = None


def wrk(url: str, headers: Mapping[str, str], seconds: int, **options: Any) -> dict[str, Any]:
    """One wrk run; options: `script` and `script_args` (a Lua script), `all_2xx` (default True),
    `connections` (default CONNECTIONS)."""
    connections = options.get("connections") or CONNECTIONS
    # A generous timeout: on a busy machine the tail of a slow target passes wrk's default 2 s.
    command = ["wrk", "-t", str(WRK_THREADS), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s"]
    command.append("--latency")
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if options.get("script") is not None:
        command += ["-s", str(options["script"])]
    command.append(url)
    if options.get("script_args"):
        command += ["--", *options["script_args"]]
    output = subprocess.run(  # noqa: S603 - fixed argv, no shell
        command, capture_output=True, text=True, check=True, timeout=seconds + 30
    ).stdout
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    if errors or (failed and options.get("all_2xx", True)):
        raise RuntimeError(f"{url} did not answer every request with success:\n{output}")
    requests = re.search(r"(\d+) requests in ([\d.]+)(m?s)", output)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)", output, re.MULTILINE)
    if requests is None or p50 is None or p99 is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    elapsed = float(requests[2]) * (60 if requests[3] == "m" else 1)
    statuses: dict[str, int] = {}
    for code, count in re.findall(r"^status (\S+) (\d+)$", output, re.MULTILINE):
        statuses[code] = statuses.get(code, 0) + int(count)
    latency = {
        f"p{cut}_ms": round(float(us) / 1000, 2)
        for cut, us in re.findall(r"^latency p(\d+) ([\d.]+)$", output, re.MULTILINE)
    }
    return {
        "requests": int(requests[1]),
        "seconds": elapsed,
        "p50_ms": _ms(p50),
        "p99_ms": _ms(p99),
        "non_2xx": int(failed[1]) if failed else 0,
        "statuses": statuses,
        "latency_ms": latency,
        "output": output,
    }


def _ms(match: re.Match[str]) -> float:
    return float(match[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match[2]]


def _run(target: Target, seconds: int, number: int) -> dict[str, Any]:
    return wrk(
        target.url,
        target.headers,
        seconds,
        script=target.script,
        script_args=[str(number)] if target.script is not None else [],
        all_2xx=target.all_2xx,
        connections=target.connections,
    )


def measure(targets: Mapping[str, Target]) -> dict[str, dict[str, Any]]:
    """Every target, warmed up, then in ROUNDS interleaved rounds; rps over all rounds.

    `warmup` holds the warm-up run's requests and answers (a scripted target's requests count
    too: a create made during the warm-up is a row all the same).
    """
    warmups: dict[str, dict[str, Any]] = {}
    for name, target in targets.items():
        if target.script is None:
            response = httpx.get(target.url, headers=dict(target.headers), timeout=10)
            if response.status_code != 200:
                raise RuntimeError(
                    f"{name}: {target.url} answered {response.status_code}: {response.text[:300]}"
                )
        warmups[name] = _run(target, WARMUP_SECONDS, 0)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
    for number in range(1, ROUNDS + 1):
        for name, target in targets.items():
            runs[name].append(_run(target, SECONDS_PER_ROUND, number))
    figures: dict[str, dict[str, Any]] = {}
    for name, measured in runs.items():
        requests = sum(run["requests"] for run in measured)
        seconds = sum(run["seconds"] for run in measured)
        figures[name] = {
            "rps": round(requests / seconds, 1),
            "rps_per_round": [round(run["requests"] / run["seconds"], 1) for run in measured],
            "p50_ms": max(run["p50_ms"] for run in measured),
            "p99_ms": max(run["p99_ms"] for run in measured),
            "requests": requests,
        }
        if targets[name].script is not None:
            figures[name]["non_2xx"] = sum(run["non_2xx"] for run in measured)
            figures[name]["statuses"] = _summed(run["statuses"] for run in measured)
            if measured[0]["latency_ms"]:
                figures[name]["latency_ms"] = {
                    cut: max(run["latency_ms"][cut] for run in measured) for cut in measured[0]["latency_ms"]
                }
            warmup = warmups[name]
            figures[name]["warmup"] = {
                "requests": warmup["requests"],
                "non_2xx": warmup["non_2xx"],
                "statuses": warmup["statuses"],
            }
    return figures


def _summed(counts: Any) -> dict[str, int]:
    total: dict[str, int] = {}
    for count in counts:
        for code, n in count.items():
            total[code] = total.get(code, 0) + n
    return total
