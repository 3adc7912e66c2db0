"""Logging setup: every record carries the request id; JSON in production, readable in development."""

from __future__ import annotations

import logging
from typing import Any

from hubkit.request_id import get_request_id


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record so formatters can always reference it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = get_request_id() or "-"
        return True


def logging_config(*, json: bool, level: str = "INFO", service: str) -> dict[str, Any]:
    """A `LOGGING` dict for Django settings."""
    formatter: dict[str, Any]
    if json:
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "static_fields": {"service": service},
        }
    else:
        formatter = {
            "format": "%(asctime)s %(levelname)-7s [%(request_id)s] %(name)s: %(message)s",
        }
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
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Unhandled errors are logged once by hubkit.errors with the request id.
            "django.request": {"level": "CRITICAL", "propagate": True},
            "django.server": {"level": "WARNING"},
        },
    }
