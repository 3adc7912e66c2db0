#!/usr/bin/env bash
# Runs the backend benchmarks; each writes its figures to backend/bench/results/<name>.json.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bootstrap
cd "$ROOT/backend"
benches=("$@")
if ((${#benches[@]} == 0)); then
  for file in bench/*.py; do
    name="$(basename "$file" .py)"
    # A benchmark is a module with a main(); support modules (URLs, data generators) have none.
    grep -q '^def main' "$file" && benches+=("$name")
  done
fi
for name in "${benches[@]}"; do
  say "benchmark $name"
  .venv/bin/python -m "bench.$name"
done
