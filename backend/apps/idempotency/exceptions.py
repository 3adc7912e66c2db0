from hubkit.errors import ApplicationError, Conflict, ValidationFailed


class IdempotencyKeyInvalid(ApplicationError):
    status = 400
    code = "idempotency_key_invalid"
    title = "Invalid Idempotency-Key"


class IdempotencyKeyRequired(ApplicationError):
    status = 400
    code = "idempotency_key_required"
    title = "Idempotency-Key required"


class IdempotencyKeyReused(ValidationFailed):
    code = "idempotency_key_reused"
    title = "Idempotency-Key reused with another request"


class IdempotencyKeyInUse(Conflict):
    code = "idempotency_key_in_use"
    title = "Idempotency-Key in use"
