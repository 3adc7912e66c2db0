"""Each service's OpenAPI document, committed as `openapi.json` and checked for drift.

The snapshot is the live schema of the service's `config.api.api` rendered deterministically
(sorted keys, two-space indent, one trailing newline), so a change to the API shows up as a
reviewable diff of that file. Regenerate every service's snapshot from the repository root with
`make openapi`; one service's with `python -m hubkit.openapi_snapshot` from its directory.
The tests of every service (`hubkit.contract.ServiceEndpointsContract`) fail while it differs.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import django
from django.utils.module_loading import import_string

REGENERATE = "make openapi"
SNAPSHOT_NAME = "openapi.json"
DEFAULT_API = "config.api.api"
_DIFF_LINES = 60


def render(schema: Mapping[str, Any]) -> str:
    """The schema as stable text: a JSON round trip first, since Ninja keys responses by int."""
    plain = json.loads(json.dumps(schema, default=str))
    return json.dumps(plain, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def live_schema(api_path: str = DEFAULT_API) -> dict[str, Any]:
    """The OpenAPI document the service serves now (Django must be set up)."""
    schema: dict[str, Any] = dict(import_string(api_path).get_openapi_schema())
    return schema


def snapshot_path(base_dir: Path) -> Path:
    return base_dir / SNAPSHOT_NAME


def write_snapshot(base_dir: Path, api_path: str = DEFAULT_API) -> Path:
    path = snapshot_path(base_dir)
    path.write_text(render(live_schema(api_path)), encoding="utf-8")
    return path


def snapshot_drift(base_dir: Path, api_path: str = DEFAULT_API) -> str | None:
    """None when the committed snapshot is the live schema; else what differs and how to fix it."""
    path = snapshot_path(base_dir)
    live = render(live_schema(api_path))
    committed = path.read_text(encoding="utf-8") if path.exists() else ""
    if committed == live:
        return None
    diff = list(
        difflib.unified_diff(committed.splitlines(), live.splitlines(), "committed", "live", lineterm="", n=2)
    )
    shown = "\n".join(diff[:_DIFF_LINES]) + ("\n..." if len(diff) > _DIFF_LINES else "")
    state = "is missing" if not committed else "differs from the live schema"
    return (
        f"{base_dir.name}/{SNAPSHOT_NAME} {state}: run `{REGENERATE}` from the repository root "
        f"and commit the result.\n{shown}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m hubkit.openapi_snapshot [--check]`, run from a service's directory."""
    parser = argparse.ArgumentParser(prog="python -m hubkit.openapi_snapshot", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the snapshot is out of date")
    parser.add_argument("--api", default=DEFAULT_API, help=f"dotted path of the NinjaAPI ({DEFAULT_API})")
    args = parser.parse_args(argv)
    base_dir = Path.cwd()
    sys.path.insert(0, str(base_dir))
    # The schema does not depend on the environment; test settings need no secrets.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    django.setup()
    if args.check:
        drift = snapshot_drift(base_dir, args.api)
        if drift:
            sys.stderr.write(drift + "\n")
            return 1
        return 0
    sys.stdout.write(f"wrote {write_snapshot(base_dir, args.api)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
