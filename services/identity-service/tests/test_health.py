from typing import ClassVar

from hubkit.contract import ServiceEndpointsContract


class TestHealth(ServiceEndpointsContract):
    """Liveness, readiness (database, redis, outbox) and metrics as every hub service serves them."""

    expected_checks: ClassVar[frozenset[str]] = frozenset({"database", "redis", "outbox"})
