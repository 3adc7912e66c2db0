"""Checks docker-compose.local.yml against the Procfile and the settings the services read.

`make run` starts the Procfile; `docker compose -f docker-compose.local.yml up` must start the same
hub. Each compose service that stands for a Procfile process says so with the label
`hub.procfile: <process>`. Problems found (exit status 1):

- the file breaks the Compose Specification: it is validated against compose-spec's own JSON
  schema, vendored as infrastructure/schema/compose-spec.json (compose-spec/compose-spec,
  schema/compose-spec.json at 170098ba07d9, Apache-2.0; no registry package ships it: replace the
  file from there to follow the spec);
- a service with neither `image` nor `build`, or a `depends_on` target that is no service;
- a Procfile process without its compose counterpart (or a label naming no process);
- a Python service whose command (its `command`, else the image's CMD) runs another program, or
  the same with other flags, than its Procfile process: the shell around it (`sh -c`, `cd`, `exec`,
  variable assignments, `env -u`), the program's directory and the values of the flags a
  deployment sets (host, port, workers) may differ, nothing else;
- an environment variable a hub service does not read (a typo, or a setting since renamed):
  every key must be read by the service's own runtime code or hubkit's (`env.str("NAME", ...)`,
  `os.environ.get("NAME")`, ...; found by check_env_examples' reader) or be one the image itself uses.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

import jsonschema_rs
import yaml
from check_env_examples import ROOT, own_variables

COMPOSE_FILE = ROOT / "docker-compose.local.yml"
PROCFILE = ROOT / "Procfile"
COMPOSE_SCHEMA = ROOT / "infrastructure" / "schema" / "compose-spec.json"
PYTHON_DOCKERFILE = "python-service.Dockerfile"
PROCFILE_LABEL = "hub.procfile"
# Read by the Python image itself (python-service.Dockerfile's ENV and CMD), not by settings.
IMAGE_VARIABLES = {"DJANGO_SETTINGS_MODULE", "PORT", "WEB_CONCURRENCY", "PROMETHEUS_MULTIPROC_DIR"}

# Flags whose values differ by design between the Procfile and the containers (127.0.0.1 vs
# 0.0.0.0, a fixed port vs $PORT, workers from another variable); they must still be given.
DEPLOYMENT_FLAGS = {"--host", "--port", "--workers"}
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")

Compose = dict[str, Any]


def load_compose(path: Path = COMPOSE_FILE) -> Compose:
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        raise SystemExit(f"{path.name}: not a compose file with services")
    return data


def schema_problems(compose: Compose, schema_file: Path = COMPOSE_SCHEMA) -> list[str]:
    """Where the file breaks the Compose Specification's JSON schema."""
    validator = jsonschema_rs.validator_for(json.loads(schema_file.read_text()))
    return [
        f"{'/'.join(map(str, error.instance_path)) or '(top level)'}: {error.message}"
        for error in validator.iter_errors(compose)
    ]


def procfile_commands(text: str) -> dict[str, str]:
    """Each process of a Procfile (`name: command` lines; comments and blanks skipped) with its command."""
    commands: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#") and ":" in line:
            name, command = line.split(":", 1)
            commands[name.strip()] = command.strip()
    return commands


def procfile_processes(text: str) -> list[str]:
    """Process names of a Procfile, in order."""
    return list(procfile_commands(text))


def dockerfile_cmd(text: str) -> list[str]:
    """The CMD of a Dockerfile's last stage (exec form, possibly continued over lines)."""
    joined = re.sub(r"\\\n", " ", text)
    cmds = [line[len("CMD") :].strip() for line in joined.splitlines() if line.startswith("CMD")]
    if not cmds:
        raise SystemExit("Dockerfile without a CMD")
    cmd = json.loads(cmds[-1])
    if not (isinstance(cmd, list) and all(isinstance(part, str) for part in cmd)):
        raise SystemExit(f"CMD not in exec form: {cmds[-1]}")
    return cmd


def invocation(command: str | list[str]) -> list[str]:
    """The program a command finally runs, with its arguments: the shell around it (`sh -c`, the
    commands before the last `&&`, `exec`, `NAME=value`, `env -u NAME`) and the program's
    directory dropped, and the values of DEPLOYMENT_FLAGS replaced by `*`."""
    tokens = shlex.split(command) if isinstance(command, str) else list(command)
    if tokens[:2] == ["sh", "-c"] and len(tokens) == 3:
        tokens = shlex.split(tokens[2])
    while "&&" in tokens:
        tokens = tokens[tokens.index("&&") + 1 :]
    while tokens:
        if tokens[0] in {"exec", "env"} or ASSIGNMENT.match(tokens[0]):
            tokens = tokens[1:]
        elif tokens[0] == "-u":
            tokens = tokens[2:]
        else:
            break
    if not tokens:
        return []
    program, *args = tokens
    found = [PurePosixPath(program).name]
    for index, arg in enumerate(args):
        found.append("*" if index and args[index - 1] in DEPLOYMENT_FLAGS else arg)
    return found


def command_problems(compose: Compose, procfile_text: str, root: Path = ROOT) -> list[str]:
    """Each labelled Python service runs what its Procfile process runs (image CMD or `command`)."""
    commands = procfile_commands(procfile_text)
    problems: list[str] = []
    for name, svc in compose["services"].items():
        process = (svc.get("labels") or {}).get(PROCFILE_LABEL)
        if name not in service_dirs(compose) or process not in commands:
            continue
        command = svc.get("command")
        if command is None:
            command = dockerfile_cmd((root / "infrastructure" / "docker" / PYTHON_DOCKERFILE).read_text())
            source = f"{PYTHON_DOCKERFILE} CMD"
        else:
            source = "command"
        ran, wanted = invocation(command), invocation(commands[str(process)])
        if ran != wanted:
            problems.append(
                f"{name}: its {source} runs `{' '.join(ran)}`, "
                f"the Procfile's {process} runs `{' '.join(wanted)}`"
            )
    return problems


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def dependencies(service: dict[str, Any]) -> list[str]:
    depends_on = service.get("depends_on") or {}
    return list(depends_on)


def structure_problems(compose: Compose) -> list[str]:
    """Every service has an image or a build; every depends_on target is a service."""
    services = compose["services"]
    problems = [
        f"{name}: neither image nor build"
        for name, svc in services.items()
        if not (svc.get("image") or svc.get("build"))
    ]
    problems.extend(
        f"{name}: depends on unknown service {target}"
        for name, svc in services.items()
        for target in dependencies(svc)
        if target not in services
    )
    return problems


def procfile_problems(compose: Compose, processes: Iterable[str]) -> list[str]:
    """Each Procfile process has a compose service labelled with its name, and only those."""
    labelled: dict[str, list[str]] = {}
    for name, svc in compose["services"].items():
        process = (svc.get("labels") or {}).get(PROCFILE_LABEL)
        if process is not None:
            labelled.setdefault(str(process), []).append(name)
    wanted = list(processes)
    problems = [
        f"Procfile process {process!r} has no compose service (label {PROCFILE_LABEL})"
        for process in wanted
        if process not in labelled
    ]
    problems.extend(
        f"{', '.join(names)}: label {PROCFILE_LABEL}={process!r} names no Procfile process"
        for process, names in labelled.items()
        if process not in wanted
    )
    return problems


def service_dirs(compose: Compose) -> dict[str, str]:
    """Compose service -> the hub service directory its Python image was built from."""
    by_image: dict[str, str] = {}
    found: dict[str, str] = {}
    for name, svc in compose["services"].items():
        build = svc.get("build")
        if isinstance(build, dict) and Path(str(build.get("dockerfile", ""))).name == PYTHON_DOCKERFILE:
            directory = str((build.get("args") or {}).get("SERVICE_DIR", "backend"))
            found[name] = directory
            if svc.get("image"):
                by_image[str(svc["image"])] = directory
    for name, svc in compose["services"].items():
        if name not in found and str(svc.get("image")) in by_image:
            found[name] = by_image[str(svc["image"])]
    return found


def variables_read(directories: Iterable[Path]) -> set[str]:
    """Environment variable names the runtime Python code under `directories` reads."""
    return {name for directory in directories for name in own_variables(directory)}


def environment_problems(compose: Compose, root: Path = ROOT) -> list[str]:
    """Every variable set on a hub service is one its code (or hubkit's, or its image) reads."""
    problems: list[str] = []
    hubkit = root / "services" / "hubkit" / "src"
    known: dict[str, set[str]] = {}
    for name, directory in service_dirs(compose).items():
        if directory not in known:
            known[directory] = variables_read([root / directory, hubkit]) | IMAGE_VARIABLES
        problems.extend(
            f"{name}: {key} is not a setting {directory} reads"
            for key in environment(compose["services"][name])
            if key not in known[directory]
        )
    return problems


def problems(compose: Compose, procfile_text: str, root: Path = ROOT) -> list[str]:
    return (
        schema_problems(compose)
        + structure_problems(compose)
        + procfile_problems(compose, procfile_processes(procfile_text))
        + command_problems(compose, procfile_text, root)
        + environment_problems(compose, root)
    )


def main() -> int:
    found = problems(load_compose(), PROCFILE.read_text())
    for problem in found:
        print(f"{COMPOSE_FILE.name}: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
