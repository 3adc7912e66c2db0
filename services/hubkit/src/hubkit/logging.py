"""Logging setup: every record carries the request id; JSON outside development, readable in it.

`logging_from_env` is what every service's settings call: `LOG_FORMAT` (`json` or `text`; the
default is `text` with DEBUG on, else `json`) and `LOG_LEVEL` (the root level, INFO by default).
Chatty libraries (procrastinate announces every job it defers, starts and ends at INFO; httpx
every request it sends) log at WARNING unless `LOG_LEVEL` is set, which then applies to them too.
A JSON line's `time` is ISO 8601 in UTC with milliseconds (`2026-12-03T07:00:00.123Z`), whatever
the host's zone, so lines of several services and hosts sort and compare as text.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Literal

from environs import Env
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from hubkit.request_id import get_request_id

LogFormat = Literal["json", "text"]

QUIET_LOGGERS = ("procrastinate", "httpx", "httpcore")
"""Libraries that log routine work at INFO (httpx: a line per request sent; httpcore: at DEBUG,
every connection step); WARNING unless LOG_LEVEL says otherwise."""


class JsonFormatter(_JsonFormatter):
    """python-json-logger's formatter with `asctime` in ISO 8601 UTC, milliseconds and `Z`
    (logging's default is the host's local time, comma-separated milliseconds and no zone)."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        moment = datetime.fromtimestamp(record.created, tz=UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record so formatters can always reference it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = get_request_id() or "-"
        return True


def logging_config(
    *, log_format: LogFormat = "json", level: str | None = None, service: str
) -> dict[str, Any]:
    """A `LOGGING` dict for Django settings; `level` None means INFO with the quiet libraries at WARNING."""
    formatter: dict[str, Any]
    if log_format == "json":
        formatter = {
            "()": "hubkit.logging.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "static_fields": {"service": service},
        }
    else:
        formatter = {
            "format": "%(asctime)s %(levelname)-7s [%(request_id)s] %(name)s: %(message)s",
        }
    root_level = (level or "INFO").upper()
    library_level = root_level if level else "WARNING"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "hubkit.logging.RequestIdFilter"}},
        "formatters": {"default": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id"],
            },
        },
        "root": {"handlers": ["console"], "level": root_level},
        "loggers": {
            # Django's default config gives "django" its own console handler: every django.*
            # record would be printed twice (once there, once by the root handler).
            "django": {"handlers": [], "level": root_level, "propagate": True},
            # Unhandled errors are logged once by hubkit.errors with the request id.
            "django.request": {"level": "CRITICAL", "propagate": True},
            # Requests are logged once, by hubkit.access.
            "django.server": {"level": "WARNING"},
            **{name: {"level": library_level} for name in QUIET_LOGGERS},
        },
    }


def format_from_env(value: str | None, *, debug: bool) -> LogFormat:
    """`LOG_FORMAT` as given, else `text` on a developer machine (DEBUG) and `json` everywhere else."""
    if not value:
        return "text" if debug else "json"
    value = value.strip().lower()
    if value not in {"json", "text"}:
        raise ValueError(f"LOG_FORMAT must be json or text, not {value!r}")
    return "json" if value == "json" else "text"


def logging_from_env(env: Env, *, service: str, debug: bool) -> dict[str, Any]:
    """The `LOGGING` of a service from `LOG_FORMAT` and `LOG_LEVEL` (see the module docstring)."""
    return logging_config(
        log_format=format_from_env(env.str("LOG_FORMAT", ""), debug=debug),
        level=env.str("LOG_LEVEL", "") or None,
        service=service,
    )
