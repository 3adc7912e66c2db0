# Shared by the hub's scripts: paths, the Python projects, and the bootstrap of uv.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS="$ROOT/.tools"
UV="$TOOLS/bin/uv"
UV_VERSION="0.13.8"

# Every Python service with its own virtualenv: members of the one uv workspace (pyproject.toml
# at the root, one uv.lock), hubkit being the fifth member, installed into each of them.
PY_PROJECTS=(backend services/identity-service services/communication-service services/workflow-intelligence-service)

# The PostgreSQL server every service's database lives on (`make run` uses hub_backend,
# hub_identity, hub_communication, hub_workflow there); <SERVICE>_DATABASE_URL moves one alone.
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"

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

# A workspace member's package name: the `name` of its pyproject's [project] table.
project_name() {
  sed -n 's/^name = "\(.*\)"$/\1/p' "$ROOT/$1/pyproject.toml" | head -n 1
}

# Create or update one project's venv: exactly its locked dependencies, its dev group and hubkit
# (editable). --locked also fails when a pyproject changed without `make lock`.
ensure_venv() {
  local project="$1"
  UV_PROJECT_ENVIRONMENT="$ROOT/$project/.venv" "$UV" sync --quiet --locked \
    --project "$ROOT" --package "$(project_name "$project")" --python "$(find_python)"
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
