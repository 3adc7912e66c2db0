#!/usr/bin/env bash
# `make setup`: creates or updates each Python service's .venv from the one uv.lock (uv sync
# --locked: it fails while a pyproject changed without `make lock`; hubkit is installed editable
# into every venv and has none of its own), npm ci in frontend/ when its lock changed, and
# chromium (the frontend e2e tests' browser) when missing. Safe to re-run: each step does only
# what is out of date. The steps live in lib.sh, shared with `make check` and `make run`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bootstrap
ensure_chromium
