"""Fuzz every operation of every hub service through its live OpenAPI document.

    .venv/bin/python -m fuzz                  # what `make check` runs: a small fixed budget
    .venv/bin/python -m fuzz --examples 300   # the long run (`make fuzz` at the root)
    .venv/bin/python -m fuzz --service backend --principal viewer --seed 7

Each (service, principal) pair is one schemathesis CLI run over all of the service's
operations: their coverage cases (boundaries, missing, extra and wrong-typed values, other
content types, for positive and negative data alike) and `--examples` generated cases per
operation. Generation is derandomized, so every run sends the same cases; `--seed` explores
others, reproducibly. The checks: no 5xx, every status code documented, every response's
content type documented and every body valid against its documented schema (problem+json error
bodies included). Principals: a demo viewer and a demo owner of Acme (real tokens from
identity-service), none at all (the 401 answers, the webhook receivers refusing an unsigned
event, the OAuth endpoints refusing clients that did not authenticate) and, at identity-service,
the backend's demo OAuth client (HTTP Basic: tokens, introspection and revocation themselves).

The owner's runs change real state (they create contacts, add and remove members): they come
after the viewer's and the anonymous ones, and identity-service is fuzzed last.

A failing run prints schemathesis' report (each failure with a curl line reproducing it) and the
command exits 1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fuzz.hub import BACKEND, SERVICE_NAMES, Hub, Service, demo_client_secret, running_hub

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
PHASES = ("examples", "coverage", "fuzzing")
# Who calls: a demo user's email, None for no credentials, or CLIENT. The owner last: what its
# run changes (members, sessions) must not spoil the others' runs.
CLIENT = "client"
PRINCIPALS = {"viewer": "viewer@acme.test", "anonymous": None, CLIENT: CLIENT, "owner": "owner@acme.test"}
# The one service authenticating OAuth clients (HTTP Basic on /oauth/*), and the demo client
# that calls it there: the client run reaches past the 401 of the token, introspection and
# revocation endpoints. Other services have no client authentication: no client run.
CLIENT_OF = {"identity-service": "hub-backend"}


@dataclass(frozen=True)
class Exclusion:
    """An operation left out of a service's runs, and why."""

    service: str
    operation_id: str
    reason: str


# Nothing is excluded: every operation of every service is fuzzed.
EXCLUSIONS: tuple[Exclusion, ...] = ()


@dataclass(frozen=True)
class Outcome:
    service: str
    principal: str
    passed: bool
    seconds: float
    summary: str
    log: Path


def _command(service: Service, *, examples: int, seed: int | None, report: Path) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        service.openapi_url,
        "--url",
        service.url,
        "--checks",
        ",".join(CHECKS),
        "--phases",
        ",".join(PHASES),
        "--max-examples",
        str(examples),
        # Without a seed, derandomized: the same cases on every run and machine (what CI runs).
        *(["--generation-deterministic"] if seed is None else ["--seed", str(seed)]),
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "all",
        "--no-color",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
    ]
    for exclusion in EXCLUSIONS:
        if exclusion.service == service.name:
            command += ["--exclude-operation-id", exclusion.operation_id]
    return command


def _summary(output: str) -> str:
    """Schemathesis' tally of test cases (`1850 generated, 1850 passed`), else its last line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    tallies = [line for line in lines if re.fullmatch(r"\d+ generated(, \d+ \w+)*", line)]
    return tallies[-1] if tallies else (lines[-1] if lines else "no output")


def fuzz(
    hub: Hub,
    *,
    services: Sequence[str],
    principals: Sequence[str],
    examples: int,
    seed: int | None,
    logs: Path,
) -> list[Outcome]:
    outcomes = []
    logins = {
        principal: hub.identity.login(email)
        for principal, email in PRINCIPALS.items()
        if email is not None and email != CLIENT
    }
    for service in hub.services:
        if service.name not in services:
            continue
        for principal in principals:
            email = PRINCIPALS[principal]
            if email == CLIENT and service.name not in CLIENT_OF:
                continue
            # Run from the logs directory (schemathesis keeps its state in the working directory).
            env = {**os.environ, "SCHEMATHESIS_HOOKS": "fuzz.hooks", "PYTHONPATH": str(BACKEND)}
            env.pop("FUZZ_PRINCIPAL", None)
            command = _command(
                service, examples=examples, seed=seed, report=logs / f"{service.name}-{principal}.xml"
            )
            if email == CLIENT:
                client_id = CLIENT_OF[service.name]
                command += ["--auth", f"{client_id}:{demo_client_secret(client_id)}"]
            elif email is not None:
                login = logins[principal]
                env["FUZZ_PRINCIPAL"] = json.dumps(
                    {
                        "identity_url": hub.identity.url,
                        "email": email,
                        "password": hub.identity.password,
                        "access_token": login["access_token"],
                        "device_token": login["device_token"],
                    }
                )
            log = logs / f"{service.name}-{principal}.log"
            started = time.monotonic()
            with log.open("w") as out:
                result = subprocess.run(  # noqa: S603 - fixed argv
                    command,
                    cwd=logs,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    check=False,
                )
            output = log.read_text(errors="replace")
            outcome = Outcome(
                service=service.name,
                principal=principal,
                passed=result.returncode == 0,
                seconds=time.monotonic() - started,
                summary=_summary(output),
                log=log,
            )
            outcomes.append(outcome)
            status = "ok" if outcome.passed else "FAILED"
            print(f"  {status:6} {service.name} as {principal} ({outcome.seconds:.0f}s): {outcome.summary}")
            if not outcome.passed:
                print(output)
            sys.stdout.flush()
    return outcomes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=int(os.environ.get("FUZZ_EXAMPLES", "10")))
    parser.add_argument(
        "--seed",
        type=int,
        default=int(os.environ["FUZZ_SEED"]) if os.environ.get("FUZZ_SEED") else None,
        help="explore other cases, reproducibly; default: derandomized generation",
    )
    names = SERVICE_NAMES
    parser.add_argument("--service", action="append", choices=names, help="repeatable; default all")
    parser.add_argument("--principal", action="append", choices=tuple(PRINCIPALS), help="repeatable")
    args = parser.parse_args(argv)
    services = args.service or names
    principals = args.principal or tuple(PRINCIPALS)
    logs = Path(tempfile.mkdtemp(prefix="hub-fuzz-"))
    what = f"{', '.join(services)} as {', '.join(principals)}"
    generation = "derandomized" if args.seed is None else f"seed {args.seed}"
    print(f"fuzzing {what}: {args.examples} examples per operation, {generation}")
    for exclusion in EXCLUSIONS:
        print(f"  excluded: {exclusion.service} {exclusion.operation_id}: {exclusion.reason}")
    # A terminated run still stops the services it started (the context managers unwind).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    started = time.monotonic()
    with running_hub() as hub:
        print(f"  hub started in {time.monotonic() - started:.0f}s; logs in {logs}")
        outcomes = fuzz(
            hub, services=services, principals=principals, examples=args.examples, seed=args.seed, logs=logs
        )
    failed = [o for o in outcomes if not o.passed]
    print(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed ({time.monotonic() - started:.0f}s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
