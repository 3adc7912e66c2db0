from hubkit.contract import TokenVerifierEndpointsContract
from tests.fixtures import ROOT, use_identity


class TestHealth(TokenVerifierEndpointsContract):
    """Liveness, readiness (database, redis and, as its API takes tokens, identity-service's keys)
    and metrics as every hub service serves them."""

    repo_root = ROOT

    def use_identity(self, url: str) -> None:
        use_identity(url)
