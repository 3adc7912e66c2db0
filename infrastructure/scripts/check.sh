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
step "mypy infrastructure" in_dir "$ROOT" "$ROOT/backend/.venv/bin/mypy"
# makemigrations also checks the migration history of the database it is pointed at, and only
# warns ("Got an error checking a consistent migration history") when that database does not
# exist. The server's maintenance database always exists and holds no history, so the check is
# quiet and still fails on a model change without its migration.
for project in "${PY_PROJECTS[@]}"; do
  step "mypy $project" in_dir "$ROOT/$project" .venv/bin/mypy .
  step "migrations committed ($project)" in_dir "$ROOT/$project" \
    env DJANGO_SETTINGS_MODULE=config.settings.test DATABASE_URL="$PG_URL/postgres" \
    .venv/bin/python manage.py makemigrations --check --dry-run
done

# The compose stack against the compose-spec schema, the Procfile (processes and their commands)
# and the settings it sets (infrastructure/scripts/check_compose.py).
step "compose file valid and matching the Procfile" "$ROOT/backend/.venv/bin/python" "$ROOT/infrastructure/scripts/check_compose.py"
# Each service's .env.example names exactly the variables it reads (infrastructure/scripts/check_env_examples.py).
step ".env.example files match the settings" "$ROOT/backend/.venv/bin/python" "$ROOT/infrastructure/scripts/check_env_examples.py"

# Each pyproject's addopts carries --dist loadgroup; -n picks the workers. --cov measures the
# lines its [tool.coverage.run] names (pytest-cov combines the workers' data into <project>/.coverage),
# prints the files not fully covered and fails the step under its fail_under (85 %).
step "pytest hubkit" in_dir "$ROOT/services/hubkit" "$ROOT/backend/.venv/bin/pytest" -n "${PYTEST_WORKERS:-2}" --cov
step "pytest infrastructure" in_dir "$ROOT" "$ROOT/backend/.venv/bin/pytest" -n 0 --cov
for project in "${PY_PROJECTS[@]}"; do
  step "pytest $project" in_dir "$ROOT/$project" .venv/bin/pytest -n "${PYTEST_WORKERS:-2}" --cov
done
# The money and scheduling apps hold 95 % of their lines, read from the backend run's data.
for app in transactions scheduling; do
  step "coverage apps/$app >= 95 %" in_dir "$ROOT/backend" \
    .venv/bin/coverage report --include="apps/$app/*" --fail-under=95
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
