from hubkit.contract import ServiceEndpointsContract


class TestHealth(ServiceEndpointsContract):
    """Liveness, readiness (database, redis) and metrics as every hub service serves them."""
