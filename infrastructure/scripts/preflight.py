"""Checks PostgreSQL and Redis are reachable and creates the hub's databases if missing."""

from __future__ import annotations

import argparse
import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
from psycopg import sql

# One command per line, so each can be copied into a shell as it stands.
PG_HINT = """PostgreSQL is not reachable at {where}.
  Start the local one:  pg_ctlcluster 15 main start      (Debian)
                        brew services start postgresql   (macOS)
  or run both stores with Docker and point the hub at them:
      docker compose -f docker-compose.local.yml up -d postgres redis
      export PG_URL=postgres://postgres:dev-insecure-postgres-password@127.0.0.1:5437
      export REDIS_URL=redis://127.0.0.1:6384/0
  PG_URL moves every service's database; BACKEND_DATABASE_URL, IDENTITY_DATABASE_URL,
  COMMUNICATION_DATABASE_URL or WORKFLOW_DATABASE_URL moves one alone."""
REDIS_HINT = """Redis is not reachable at {where}.
  Start the local one:   redis-server --daemonize yes --port 6379
  or use compose's:      export REDIS_URL=redis://127.0.0.1:6384/0"""


def ensure_database(url: str) -> str:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                return f"created database {name}"
            return f"database {name} exists"
    except psycopg.OperationalError as exc:
        where = f"{parts.hostname}:{parts.port or 5432}"
        print(PG_HINT.format(where=where), file=sys.stderr)
        print(f"  ({exc})", file=sys.stderr)
        raise SystemExit(2) from exc


def check_redis(url: str) -> None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as exc:
        parts = urlsplit(url)
        print(REDIS_HINT.format(where=f"{parts.hostname}:{parts.port or 6379}"), file=sys.stderr)
        raise SystemExit(2) from exc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--database", action="append", default=[], help="postgres URL to ensure")
    args = parser.parse_args()
    check_redis(args.redis)
    for url in args.database:
        print("   ", ensure_database(url))


if __name__ == "__main__":
    main()
