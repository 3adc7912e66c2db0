#!/usr/bin/env bash
# Runs the whole hub in the foreground: venvs, databases, migrations, demo data, every service.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bootstrap

# PG_URL (lib.sh) moves every database; <SERVICE>_DATABASE_URL one. DATABASE_URL itself is not
# read here: it is what each service process gets (the Procfile sets it from these).
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export BACKEND_DATABASE_URL="${BACKEND_DATABASE_URL:-$PG_URL/hub_backend}"
export IDENTITY_DATABASE_URL="${IDENTITY_DATABASE_URL:-$PG_URL/hub_identity}"
export WORKFLOW_DATABASE_URL="${WORKFLOW_DATABASE_URL:-$PG_URL/hub_workflow}"
export COMMUNICATION_DATABASE_URL="${COMMUNICATION_DATABASE_URL:-$PG_URL/hub_communication}"

say "checking PostgreSQL and Redis"
"$ROOT/backend/.venv/bin/python" "$ROOT/infrastructure/scripts/preflight.py" \
  --redis "$REDIS_URL" --database "$BACKEND_DATABASE_URL" --database "$IDENTITY_DATABASE_URL" \
  --database "$WORKFLOW_DATABASE_URL" --database "$COMMUNICATION_DATABASE_URL"

manage() {
  local project="$1" database="$2"; shift 2
  (cd "$ROOT/$project" && DATABASE_URL="$database" .venv/bin/python manage.py "$@")
}

say "migrating and loading demo data"
manage backend "$BACKEND_DATABASE_URL" migrate --no-input -v 0
manage backend "$BACKEND_DATABASE_URL" seed_demo
manage services/identity-service "$IDENTITY_DATABASE_URL" migrate --no-input -v 0
manage services/identity-service "$IDENTITY_DATABASE_URL" seed_demo
manage services/workflow-intelligence-service "$WORKFLOW_DATABASE_URL" migrate --no-input -v 0
manage services/communication-service "$COMMUNICATION_DATABASE_URL" migrate --no-input -v 0

PROMETHEUS_MULTIPROC_DIR="$(mktemp -d -t hub-metrics.XXXXXX)"
export PROMETHEUS_MULTIPROC_DIR
# Each service aggregates only its own workers' metrics (the event workers serve their own).
export BACKEND_PROMETHEUS_MULTIPROC_DIR="$PROMETHEUS_MULTIPROC_DIR/backend"
mkdir -p "$BACKEND_PROMETHEUS_MULTIPROC_DIR"
export IDENTITY_PROMETHEUS_MULTIPROC_DIR="$PROMETHEUS_MULTIPROC_DIR/identity"
mkdir -p "$IDENTITY_PROMETHEUS_MULTIPROC_DIR"
export WORKFLOW_PROMETHEUS_MULTIPROC_DIR="$PROMETHEUS_MULTIPROC_DIR/workflow"
mkdir -p "$WORKFLOW_PROMETHEUS_MULTIPROC_DIR"
export COMMUNICATION_PROMETHEUS_MULTIPROC_DIR="$PROMETHEUS_MULTIPROC_DIR/communication"
mkdir -p "$COMMUNICATION_PROMETHEUS_MULTIPROC_DIR"
trap 'rm -rf "$PROMETHEUS_MULTIPROC_DIR"' EXIT

cat <<BANNER

  Hub is starting (Ctrl-C stops everything)
    frontend         http://127.0.0.1:5173/   (Vite dev server; /api -> backend, /identity -> identity)
    backend API      http://127.0.0.1:8000/api/v1/   (docs: /api/v1/docs)
    backend health   http://127.0.0.1:8000/api/health/ready
    metrics          http://127.0.0.1:8000/metrics   (every service serves its own /metrics)
    event worker     procrastinate (log prefix "worker"): delivers the outbox to the services below
                     metrics: http://127.0.0.1:${WORKER_METRICS_PORT:-9108}/metrics
    identity         http://127.0.0.1:8001/api/v1/   (docs: /api/v1/docs, keys: /.well-known/jwks.json)
    identity worker  procrastinate (log prefix "identity-worker"): mails invitations and security
                     notices through the communication service
                     metrics: http://127.0.0.1:9109/metrics
    communication    http://127.0.0.1:8003/api/v1/   (docs: /api/v1/docs, sent: /api/v1/messages)
                     mail lands in var/mail/ (SMTP sink on 127.0.0.1:1025); SMS are logged
    workflow         http://127.0.0.1:8004/api/v1/   (docs: /api/v1/docs, runs: /api/v1/runs)

  Demo logins (password: dev-insecure-demo-password)
    owner@acme.test  admin@acme.test  manager@acme.test  staff@acme.test  viewer@acme.test
    owner@globex.test   both@hub.test (acme staff + globex manager)
    mfa@acme.test (TOTP secret JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP)

BANNER
cd "$ROOT"
"$ROOT/backend/.venv/bin/honcho" start -f Procfile
