"""Schema-driven fuzzing of every hub service through its live OpenAPI document (schemathesis).

`python -m fuzz` (from backend/) starts identity-service, the backend, the communication and the
workflow services as real processes on ephemeral 127.0.0.1 ports, each with its own fresh
database (migrated, demo data where the service has any), then runs schemathesis against each
service's `/api/v1/openapi.json` once per principal: a demo owner, a demo viewer and no
credentials at all. See `__main__.py` for the checks, the budgets and the exclusions.
"""
