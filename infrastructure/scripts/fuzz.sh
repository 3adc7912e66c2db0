#!/usr/bin/env bash
# The long fuzz run: every service as a real process, fuzzed through its live OpenAPI with many
# more cases than `make check` sends. FUZZ_EXAMPLES (default 300) cases per operation; FUZZ_SEED
# explores other cases than the derandomized default (read by `python -m fuzz` itself).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bootstrap
cd "$ROOT/backend"
exec .venv/bin/python -m fuzz --examples "${FUZZ_EXAMPLES:-300}" "$@"
