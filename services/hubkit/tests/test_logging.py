"""The LOGGING every service gets: JSON lines with UTC timestamps, chatty libraries kept quiet."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from hubkit.logging import JsonFormatter

# A process of its own configures logging as a service's settings do (dictConfig would replace
# the handlers of this test run), logs one line itself and sends one request with httpx.
SERVICE_PROCESS = """
import logging.config, sys
import httpx
from hubkit.logging import logging_config
logging.config.dictConfig(logging_config(log_format="json", level=sys.argv[1] or None, service="svc"))
logging.getLogger("svc.startup").info("ready")
with httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(204))) as client:
    client.get("http://upstream.invalid/ping")
"""


def _service_lines(level: str = "") -> list[dict[str, Any]]:
    # A zone far from UTC: the timestamp must not follow the host's local time.
    env = {**os.environ, "TZ": "America/Los_Angeles"}
    done = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [sys.executable, "-c", SERVICE_PROCESS, level], capture_output=True, text=True, env=env, check=True
    )
    return [json.loads(line) for line in done.stderr.splitlines()]


def test_a_json_line_is_stamped_in_iso_8601_utc_with_milliseconds() -> None:
    record = logging.LogRecord("svc", logging.INFO, __file__, 1, "hello", None, None)
    record.created = datetime(2026, 12, 3, 7, 0, 0, 123456, tzinfo=UTC).timestamp()
    formatter = JsonFormatter("%(asctime)s %(message)s", rename_fields={"asctime": "time"})
    assert json.loads(formatter.format(record))["time"] == "2026-12-03T07:00:00.123Z"


def test_a_service_logs_utc_timestamps_and_no_httpx_request_lines_by_default() -> None:
    before = datetime.now(UTC)
    lines = _service_lines()
    after = datetime.now(UTC)
    [line] = lines  # the service's own line; httpx's "HTTP Request: GET ..." INFO line is not there
    assert line["logger"] == "svc.startup"
    assert line["level"] == "INFO"
    assert line["time"].endswith("Z")
    stamped = datetime.strptime(line["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    # In UTC, not in the process's zone (which would be hours off).
    assert before - timedelta(milliseconds=1) <= stamped <= after


def test_log_level_brings_the_httpx_request_lines_back() -> None:
    lines = _service_lines("info")
    assert [line["logger"] for line in lines] == ["svc.startup", "httpx"]
    assert lines[1]["message"].startswith("HTTP Request: GET http://upstream.invalid/ping")
