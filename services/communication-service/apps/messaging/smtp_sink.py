"""A local SMTP sink: every mail it receives is written to a directory as an .eml file.

Development only (`make run` starts it): python -m apps.messaging.smtp_sink [--port 1025] [--directory DIR]
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
import uuid
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

logger = logging.getLogger("smtp_sink")

# services/communication-service/apps/messaging/ → the repository root's var/mail (git-ignored).
DEFAULT_DIRECTORY = Path(__file__).resolve().parents[4] / "var" / "mail"


class MaildirHandler:
    """aiosmtpd handler: accept every message and store it verbatim."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        content: bytes = envelope.original_content or envelope.content
        stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.directory / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        path.write_bytes(content)
        subject = message_from_bytes(content, policy=default_policy).get("Subject", "")
        logger.info("mail to %s: %s -> %s", ", ".join(envelope.rcpt_tos), subject, path)
        return "250 Message accepted for delivery"


def start_sink(*, host: str, port: int, directory: Path) -> Controller:
    """Start the sink in a background thread; the caller stops it with `.stop()`."""
    controller = Controller(MaildirHandler(directory), hostname=host, port=port)
    controller.start()
    return controller


def main() -> None:
    parser = argparse.ArgumentParser(description="Local SMTP sink writing .eml files.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--directory", type=Path, default=DEFAULT_DIRECTORY)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command
    controller = start_sink(host=args.host, port=args.port, directory=args.directory)
    logger.info("listening on %s:%d; mail lands in %s", args.host, args.port, args.directory)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    controller.stop()


if __name__ == "__main__":
    main()
