"""The one place settings read the environment."""

from pathlib import Path

from environs import Env

BASE_DIR = Path(__file__).resolve().parent.parent

env = Env()
# A developer's own overrides; never committed (see .gitignore).
env.read_env(str(BASE_DIR / ".env"), recurse=False)
