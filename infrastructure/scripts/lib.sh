# Shared by the hub's scripts: paths, the Python projects, and the bootstrap of uv.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS="$ROOT/.tools"
UV="$TOOLS/bin/uv"
UV_VERSION="0.13.8"

# Every Python project with its own virtualenv and pinned requirements.txt.
PY_PROJECTS=(backend services/identity-service services/communication-service services/workflow-intelligence-service)

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
die() { printf '\033[1;31mxx\033[0m %s\n' "$*" >&2; exit 1; }

find_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  die "Python 3.11 or newer is required (python3 --version)."
}

ensure_uv() {
  if [[ ! -x "$UV" ]] || [[ "$("$UV" --version | awk '{print $2}')" != "$UV_VERSION" ]]; then
    say "installing uv $UV_VERSION into .tools/"
    "$(find_python)" -m venv "$TOOLS"
    "$TOOLS/bin/pip" install --quiet "uv==$UV_VERSION"
  fi
}

# Create or update one project's venv: exactly its pinned requirements plus hubkit (editable).
ensure_venv() {
  local project="$1" dir="$ROOT/$1"
  if [[ ! -x "$dir/.venv/bin/python" ]]; then
    "$UV" venv --quiet --python "$(find_python)" "$dir/.venv"
  fi
  VIRTUAL_ENV="$dir/.venv" "$UV" pip sync --quiet "$dir/requirements.txt"
  VIRTUAL_ENV="$dir/.venv" "$UV" pip install --quiet --no-deps -e "$ROOT/services/hubkit"
}

# The frontend's node_modules, from the committed lock: `npm ci` when missing or the lock changed.
ensure_node_modules() {
  local dir="$ROOT/frontend" stamp="$ROOT/frontend/node_modules/.package-lock.sha256"
  command -v npm >/dev/null 2>&1 || die "Node.js 20 and npm are required for the frontend (node --version)."
  local want
  want="$(sha256sum "$dir/package-lock.json" | awk '{print $1}')"
  if [[ ! -f "$stamp" ]] || [[ "$(cat "$stamp")" != "$want" ]]; then
    say "npm ci in frontend/"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    printf '%s\n' "$want" >"$stamp"
  fi
}

# Debian's chromium for the frontend's end-to-end tests (installed as root, like wrk for bench).
ensure_chromium() {
  if [[ -x "${CHROMIUM:-/usr/bin/chromium}" ]]; then
    return 0
  fi
  command -v apt-get >/dev/null 2>&1 || die "chromium is required for the frontend e2e tests (set CHROMIUM to its path)."
  say "installing chromium (apt-get) for the frontend e2e tests"
  local sudo=()
  if [[ "$(id -u)" != 0 ]]; then sudo=(sudo); fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq chromium >/dev/null
}

bootstrap() {
  ensure_uv
  for project in "${PY_PROJECTS[@]}"; do
    say "virtualenv for $project"
    ensure_venv "$project"
  done
  say "frontend dependencies"
  ensure_node_modules
}
