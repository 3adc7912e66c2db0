#!/usr/bin/env bash
# Rewrite every service's committed OpenAPI snapshot (<project>/openapi.json) from its live schema.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bootstrap

for project in "${PY_PROJECTS[@]}"; do
  say "openapi.json of $project"
  (cd "$ROOT/$project" && DJANGO_SETTINGS_MODULE=config.settings.test .venv/bin/python -m hubkit.openapi_snapshot)
done

say "frontend API types (frontend/src/api/generated/)"
(cd "$ROOT/frontend" && npm run --silent types:generate)
