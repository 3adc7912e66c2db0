"""The backend's API mechanics, written once: not a business app, and no app imports it but `api.py`.

- `edge.permissions`: `@requires(...)`, the one authorization decorator of every endpoint;
- `edge.idempotency`: the `Idempotency-Key` header (declared on the operation, claimed before the
  view runs, the final response stored by `IdempotencyMiddleware`, replays built here);
- `edge.schemas`: request schema bases (`In`, `Patch`), shared field types and path parameters.

Pagination is `hubkit.pagination.KeysetPagination` and the error answers of the OpenAPI come from
`hubkit.openapi` (`HubNinjaAPI`, `problem_responses`): the same mechanisms as the sibling services.
Layer order: `api.py` → edge → services/selectors → models; services never import the edge.
"""
