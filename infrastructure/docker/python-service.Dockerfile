# One image recipe for every Python service of the hub; the service is chosen by build args.
# Build context is the repository root, e.g.
#   docker build -f infrastructure/docker/python-service.Dockerfile \
#     --build-arg SERVICE_DIR=services/identity-service --build-arg PORT=8001 .
# Each service directory must hold requirements.txt (fully pinned), manage.py and
# config/wsgi.py with `application`, and serve GET /api/health/ (liveness).

# ---- builder: the service's pinned requirements plus hubkit, in a self-contained venv ----
FROM python:3.11-slim AS builder

ARG SERVICE_DIR=backend

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

# Same path as in the runtime stage: venv scripts carry absolute shebangs.
RUN python -m venv /opt/venv

COPY ${SERVICE_DIR}/requirements.txt /tmp/requirements.txt
RUN pip install -r /tmp/requirements.txt

# hubkit's dependencies are pinned by the service's requirements.txt, hence --no-deps;
# a regular (non-editable) install puts it inside the venv, so it travels with it.
# pip check fails the build if the service's pins miss something hubkit needs.
COPY services/hubkit /tmp/hubkit
RUN pip install --no-deps /tmp/hubkit && pip check

# ---- runtime: venv + service source, non-root, served by Granian (WSGI) ----
FROM python:3.11-slim AS runtime

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
# exec so Granian is PID 1 and receives SIGTERM. Same server flags as the Procfile.
CMD ["sh", "-c", "rm -rf \"$PROMETHEUS_MULTIPROC_DIR\" && mkdir -p \"$PROMETHEUS_MULTIPROC_DIR\" && exec granian --interface wsgi --host 0.0.0.0 --port \"$PORT\" --workers \"${WEB_CONCURRENCY:-2}\" --blocking-threads 1 config.wsgi:application"]
