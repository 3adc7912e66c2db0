# One image recipe for every Python service of the hub; the service is chosen by build args.
# Build context is the repository root, e.g.
#   docker build -f infrastructure/docker/python-service.Dockerfile \
#     --build-arg SERVICE_DIR=services/identity-service --build-arg PORT=8001 .
# Each service directory must be a member of the uv workspace (pyproject.toml with its runtime
# dependencies, locked in the root uv.lock) and hold manage.py and config/wsgi.py with
# `application`, and serve GET /api/health/ (liveness).

# ---- builder: the service's locked runtime dependencies plus hubkit, in a self-contained venv ----
FROM python:3.11.14-slim-bookworm AS builder

ARG SERVICE_DIR=backend
# The uv the repository bootstraps (infrastructure/scripts/lib.sh UV_VERSION, pyproject.toml).
ARG UV_VERSION=0.13.8

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1

RUN pip install "uv==${UV_VERSION}"

# The workspace: its lock and every member's pyproject (uv checks the lock against all of them),
# and hubkit's source, which is installed into the venv.
WORKDIR /src
COPY pyproject.toml uv.lock ./
COPY backend/pyproject.toml backend/
COPY services/identity-service/pyproject.toml services/identity-service/
COPY services/communication-service/pyproject.toml services/communication-service/
COPY services/workflow-intelligence-service/pyproject.toml services/workflow-intelligence-service/
COPY services/hubkit services/hubkit

# Exactly the service's locked runtime dependencies, hubkit's included (hubkit's pyproject declares
# them): --no-dev leaves the dev group (ruff, mypy, pytest, honcho, ...) out; --no-editable copies
# hubkit into the venv (the same path as in the runtime stage: venv scripts carry absolute
# shebangs). pip check fails the build should anything still be missing.
RUN uv sync --locked --no-dev --no-editable \
      --package "$(sed -n 's/^name = "\(.*\)"$/\1/p' "${SERVICE_DIR}/pyproject.toml" | head -n 1)" \
    && uv pip check --python /opt/venv/bin/python

# ---- runtime: venv + service source, non-root, served by Granian (WSGI) ----
FROM python:3.11.14-slim-bookworm AS runtime

ARG SERVICE_DIR=backend
ARG PORT=8000

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    PORT=${PORT} \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus-multiproc

# Fixed ids so volumes and runAsUser policies can rely on them.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin app \
    && install -d -o app -g app "$PROMETHEUS_MULTIPROC_DIR"

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
# Source stays owned by root: the service user can read it, not change it.
COPY ${SERVICE_DIR}/ /app/

# Static files are collected at build time. The secret and settings module are set on this
# command only (local settings accept a non-production secret); neither reaches the image's ENV,
# so the runtime still requires a real SECRET_KEY from production settings.
RUN SECRET_KEY=build-only-collectstatic-not-a-secret \
    DJANGO_SETTINGS_MODULE=config.settings.local \
    python manage.py collectstatic --noinput -v 0 \
    && python -m compileall -q /app

USER 10001:10001

EXPOSE ${PORT}

# Liveness only (no database or Redis needed). Production may restrict ALLOWED_HOSTS, so the
# probe sends the first allowed host as Host header (no curl in slim images: Python's urllib).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; hosts = [h.strip().lstrip('.') for h in os.environ.get('ALLOWED_HOSTS', '').split(',') if h.strip() not in ('', '*')]; r.urlopen(r.Request('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/api/health/', headers={'Host': hosts[0] if hosts else 'localhost'}), timeout=4)"]

# A fresh metrics directory per start (stale files of dead workers would skew /metrics), then
# exec so Granian is PID 1 and receives SIGTERM. Same server flags as the Procfile (check_compose
# compares them); --log-level warning leaves out Granian's own INFO lines (startup, every worker
# spawned): each request is logged once, as JSON, by hubkit.access.
CMD ["sh", "-c", "rm -rf \"$PROMETHEUS_MULTIPROC_DIR\" && mkdir -p \"$PROMETHEUS_MULTIPROC_DIR\" && exec granian --interface wsgi --host 0.0.0.0 --port \"$PORT\" --workers \"${WEB_CONCURRENCY:-2}\" --blocking-threads 1 --log-level warning config.wsgi:application"]
