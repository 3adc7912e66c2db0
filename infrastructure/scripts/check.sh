#!/usr/bin/env bash
# Every check of the hub: lint, format, types and all test suites. Exits non-zero if any fails.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bootstrap
ensure_chromium

failed=()
step() {
  local name="$1"; shift
  say "$name"
  local started=$SECONDS
  if "$@"; then
    printf '    ok (%ss)\n' "$((SECONDS - started))"
  else
    printf '\033[1;31m    FAILED: %s\033[0m\n' "$name"
    failed+=("$name")
  fi
}

in_dir() { (cd "$1" && shift && "$@"); }

RUFF="$ROOT/backend/.venv/bin/ruff"
step "ruff lint" in_dir "$ROOT" "$RUFF" check .
step "ruff format" in_dir "$ROOT" "$RUFF" format --check .

step "mypy hubkit" in_dir "$ROOT/services/hubkit" "$ROOT/backend/.venv/bin/mypy" src tests
for project in "${PY_PROJECTS[@]}"; do
  step "mypy $project" in_dir "$ROOT/$project" .venv/bin/mypy .
  step "migrations committed ($project)" in_dir "$ROOT/$project" \
    env DJANGO_SETTINGS_MODULE=config.settings.test .venv/bin/python manage.py makemigrations --check --dry-run
done

step "pytest hubkit" in_dir "$ROOT/services/hubkit" "$ROOT/backend/.venv/bin/pytest"
for project in "${PY_PROJECTS[@]}"; do
  step "pytest $project" in_dir "$ROOT/$project" .venv/bin/pytest -n "${PYTEST_WORKERS:-2}" --dist loadgroup
done

# Every service started as a real process and fuzzed through its live OpenAPI (backend/fuzz).
step "fuzz every service's OpenAPI (schemathesis)" in_dir "$ROOT/backend" .venv/bin/python -m fuzz

# The frontend: types, generated API types up to date, unit tests, e2e against the real hub.
step "frontend tsc --noEmit" in_dir "$ROOT/frontend" npm run --silent typecheck
step "frontend generated API types committed" in_dir "$ROOT/frontend" npm run --silent types:check
step "frontend vitest" in_dir "$ROOT/frontend" npm run --silent test
step "frontend e2e (playwright, real hub)" in_dir "$ROOT/frontend" npm run --silent e2e

if ((${#failed[@]})); then
  printf '\n\033[1;31m%d check(s) failed:\033[0m %s\n' "${#failed[@]}" "${failed[*]}"
  exit 1
fi
printf '\n\033[1;32mall checks passed\033[0m\n'
