"""`make` alone prints the targets and starts nothing."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_make_alone_lists_every_documented_target() -> None:
    result = make()
    assert result.returncode == 0, result.stderr
    documented = re.findall(r"^([a-z][a-z-]*):.*## (.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert {"help", "run", "check", "setup", "lock"} <= {target for target, _ in documented}
    listed = {
        line.split()[0]: " ".join(line.split()[1:]) for line in result.stdout.splitlines()[1:] if line.strip()
    }
    assert listed == {target: " ".join(description.split()) for target, description in documented}
    assert result.stdout.startswith("Usage: make <target>")


def test_make_help_is_the_default() -> None:
    assert make().stdout == make("help").stdout
