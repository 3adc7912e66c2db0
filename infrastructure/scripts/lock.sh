#!/usr/bin/env bash
# Re-locks the workspace (uv.lock) from every member's pyproject.toml: run after editing a
# dependency there. Versions already locked stay unless a changed requirement needs another;
# `make lock UPGRADE=1` moves everything to the newest allowed versions.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_uv
say "locking the workspace (uv.lock)"
upgrade=()
if [[ -n "${UPGRADE:-}" ]]; then upgrade=(--upgrade); fi
"$UV" lock --project "$ROOT" "${upgrade[@]}"
