#!/usr/bin/env bash
# Re-pins each project's requirements.txt from its requirements.in (run after editing a .in).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_uv
for project in "${PY_PROJECTS[@]}"; do
  say "pinning $project"
  "$UV" pip compile --quiet --python-version 3.11 --no-header \
    "$ROOT/$project/requirements.in" -o "$ROOT/$project/requirements.txt"
done
