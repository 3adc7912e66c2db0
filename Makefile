# The hub's entry point. `make` lists the targets; `make run` starts everything; `make check`
# runs every check.
.PHONY: help run check setup lock bench openapi fuzz
.DEFAULT_GOAL := help

help:   ## list these targets (what `make` alone prints)
	@printf 'Usage: make <target>\n\n'
	@sed -n 's/^\([a-z][a-z-]*\):.*## \(.*\)$$/  \1\t\2/p' $(MAKEFILE_LIST) | expand -t 11

run:    ## migrate, load demo data and start every part of the hub
	@bash infrastructure/scripts/run.sh

check:  ## lint, format, types and every test suite (what CI runs)
	@bash infrastructure/scripts/check.sh

setup:  ## create or update the virtualenvs (from uv.lock) and the frontend's node_modules
	@bash infrastructure/scripts/bootstrap.sh

lock:   ## re-lock uv.lock from every pyproject.toml (UPGRADE=1: newest allowed versions)
	@bash infrastructure/scripts/lock.sh

bench:  ## run the backend benchmarks; figures land in backend/bench/results/, summed up in backend/bench/RESULTS.md
	@bash infrastructure/scripts/bench.sh

fuzz:   ## the long fuzz run: every service's live OpenAPI, many more cases (FUZZ_EXAMPLES, FUZZ_SEED)
	@bash infrastructure/scripts/fuzz.sh

openapi: ## rewrite every service's committed OpenAPI snapshot (<service>/openapi.json)
	@bash infrastructure/scripts/openapi.sh
