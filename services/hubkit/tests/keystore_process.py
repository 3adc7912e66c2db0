"""One process verifying a token with hubkit's verifier on a given Redis (the two-process test).

Usage: python -m tests.keystore_process ISSUER_URL REDIS_URL PREFIX TOKEN (URL and prefix: a
`RedisNamespace`); prints a JSON line {"subject", "fetches"}: the verified subject and the JWKS
documents this process fetched itself.
"""

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
django.setup()

from django.test import override_settings  # noqa: E402 - after django.setup()

from hubkit.identity import get_verifier  # noqa: E402
from hubkit.testing import RedisNamespace  # noqa: E402


def main(issuer_url: str, redis_url: str, prefix: str, token: str) -> None:
    identity = {"SERVICE_URL": issuer_url, "LEEWAY_SECONDS": 0}
    with override_settings(IDENTITY=identity, CACHES={"default": RedisNamespace(redis_url, prefix).cache()}):
        verifier = get_verifier()
        claims = verifier.verify(token)
        print(json.dumps({"subject": claims.subject, "fetches": verifier.keys.fetches}))  # noqa: T201


if __name__ == "__main__":
    main(*sys.argv[1:5])
