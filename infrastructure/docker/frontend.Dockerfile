# The web app for docker-compose.local.yml: built with Vite, served by nginx, which proxies
# /api to the backend and /identity to identity-service (the same single origin as the Vite dev
# server of `make run`; see frontend/vite.config.ts). Build context is the repository root:
#   docker build -f infrastructure/docker/frontend.Dockerfile .

# ---- builder: npm ci from the committed lock, then the production build into dist/ ----
FROM node:20.19.5-bookworm-slim AS builder

WORKDIR /src
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend/ ./
RUN npm run build

# ---- runtime: nginx serving dist/, unprivileged ----
FROM nginx:1.28.0-alpine AS runtime

COPY infrastructure/docker/frontend/nginx.conf /etc/nginx/conf.d/default.conf
COPY --from=builder /src/dist /usr/share/nginx/html

# The stock image runs its workers as `nginx` but the master as root; everything it writes
# (pid file, temp dirs) is moved to /tmp so the whole server runs as the nginx user.
RUN sed -i 's#^pid .*#pid /tmp/nginx.pid;#' /etc/nginx/nginx.conf \
    && sed -i '/^user /d' /etc/nginx/nginx.conf \
    && chown -R nginx:nginx /var/cache/nginx

USER nginx

EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
