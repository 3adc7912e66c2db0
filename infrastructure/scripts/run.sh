#!/usr/bin/env bash
# Runs the whole hub in the foreground: venvs, databases, migrations, demo data, every service.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bootstrap

PG_BASE="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export BACKEND_DATABASE_URL="${DATABASE_URL:-$PG_BASE/hub_backend}"

say "checking PostgreSQL and Redis"
"$ROOT/backend/.venv/bin/python" "$ROOT/infrastructure/scripts/preflight.py" \
  --redis "$REDIS_URL" --database "$BACKEND_DATABASE_URL"

manage() {
  local project="$1" database="$2"; shift 2
  (cd "$ROOT/$project" && DATABASE_URL="$database" .venv/bin/python manage.py "$@")
}

say "migrating and loading demo data"
manage backend "$BACKEND_DATABASE_URL" migrate --no-input -v 0
manage backend "$BACKEND_DATABASE_URL" seed_demo

PROMETHEUS_MULTIPROC_DIR="$(mktemp -d -t hub-metrics.XXXXXX)"
export PROMETHEUS_MULTIPROC_DIR
trap 'rm -rf "$PROMETHEUS_MULTIPROC_DIR"' EXIT

cat <<BANNER

  Hub is starting (Ctrl-C stops everything)
    backend API      http://127.0.0.1:8000/api/v1/   (docs: /api/v1/docs)
    backend health   http://127.0.0.1:8000/api/health/ready
    metrics          http://127.0.0.1:8000/metrics

BANNER
cd "$ROOT"
"$ROOT/backend/.venv/bin/honcho" start -f Procfile
