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
# bench.api_throughput, bench.scheduling and bench.transactions drive their servers with wrk
# (a Debian package), installed here when missing.
if [[ " ${benches[*]} " =~ " "(api_throughput|scheduling|transactions)" " ]] && ! command -v wrk >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || die "the wrk benchmarks need wrk: install it with your package manager"
  sudo=""
  ((EUID == 0)) || sudo="sudo"
  say "installing wrk"
  $sudo apt-get install -y -q wrk >/dev/null 2>&1 || { $sudo apt-get update -q && $sudo apt-get install -y -q wrk; }
fi
# bench.analytics keeps its database (bench_hub_backend_analytics) between runs: only the first
# one spends a few minutes generating the large organization it measures.
for name in "${benches[@]}"; do
  say "benchmark $name"
  .venv/bin/python -m "bench.$name"
done
# The committed summary of the latest figures (backend/bench/RESULTS.md).
.venv/bin/python -m bench.summary
