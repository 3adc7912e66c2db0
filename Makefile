# The hub's entry point. `make run` starts everything; `make check` runs every check.
.PHONY: run check setup lock bench openapi fuzz

run:    ## migrate, load demo data and start every part of the hub
	@bash infrastructure/scripts/run.sh

check:  ## lint, format, types and every test suite (what CI runs)
	@bash infrastructure/scripts/check.sh

setup:  ## create or update the virtualenvs only
	@bash infrastructure/scripts/bootstrap.sh

lock:   ## re-pin every requirements.txt from its requirements.in
	@bash infrastructure/scripts/lock.sh

bench:  ## run the backend benchmarks; figures land in backend/bench/results/
	@bash infrastructure/scripts/bench.sh

fuzz:   ## the long fuzz run: every service's live OpenAPI, many more cases (FUZZ_EXAMPLES, FUZZ_SEED)
	@bash infrastructure/scripts/fuzz.sh

openapi: ## rewrite every service's committed OpenAPI snapshot (<service>/openapi.json)
	@bash infrastructure/scripts/openapi.sh
