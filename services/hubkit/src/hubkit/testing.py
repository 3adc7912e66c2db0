"""Test support: run a hub service as a real subprocess on an ephemeral 127.0.0.1 port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServiceProcess:
    """A WSGI app served by Granian in a subprocess; output captured to a log file."""

    def __init__(
        self,
        *,
        cwd: Path,
        wsgi: str,
        env: Mapping[str, str],
        python: str | None = None,
        port: int | None = None,
        workers: int = 1,
        ready_path: str = "/api/health/",
        extra_args: Sequence[str] = (),
    ) -> None:
        self.cwd = cwd
        self.wsgi = wsgi
        self.env = {**os.environ, **env}
        self.python = python or sys.executable
        self.port = port or free_port()
        self.workers = workers
        self.ready_path = ready_path
        self.extra_args = list(extra_args)
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> str:
        if self._log is None:
            raise RuntimeError("the service was never started")
        return self._log.name

    def read_log(self) -> str:
        return Path(self.log_path).read_text(errors="replace")

    def start(self, timeout: float = 30.0) -> ServiceProcess:
        self._log = tempfile.NamedTemporaryFile(prefix="service-", suffix=".log", delete=False)  # noqa: SIM115
        command = [
            self.python, "-m", "granian", "--interface", "wsgi",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--workers", str(self.workers), "--no-access-log",
            *self.extra_args, self.wsgi,
        ]  # fmt: skip
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            command, cwd=self.cwd, env=self.env, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.wsgi} exited early:\n{self.read_log()}")
            try:
                if httpx.get(self.url + self.ready_path, timeout=1.0).status_code < 500:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.wsgi} did not become ready in {timeout}s:\n{self.read_log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()

    def __enter__(self) -> ServiceProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
