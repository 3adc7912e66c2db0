"""A token issuer over real HTTP for hubkit's own tests: OIDC discovery, a JWKS and signed tokens.

hubkit's tests run without a database, so they cannot start the real identity-service; this
publishes an Ed25519 key the way identity-service does and signs tokens with claims a test
chooses (including expiries the real issuer never hands out), verified by the real code.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from tests.http_stub import JsonHandler, serving

AUDIENCE = "hub-backend"


@dataclass
class Issuer:
    url: str = ""
    kid: str = field(default_factory=lambda: uuid.uuid4().hex)
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    jwks_fetches: int = 0
    # What POST /oauth/introspect answers per token (RFC 7662); unknown tokens are inactive.
    introspection: dict[str, dict[str, Any]] = field(default_factory=dict)
    introspections: int = 0
    # The issuer its discovery document announces; None: its own URL (as identity-service does).
    announced_issuer: str | None = None
    discovery_fetches: int = 0
    # When set, every GET is answered with this (status, content type, body) instead: a broken issuer.
    broken: tuple[int, str, bytes] | None = None
    broken_answers: int = 0
    # When set, a JWKS request waits for it (a fetch held in flight); `jwks_requested` tells it began.
    hold_jwks: threading.Event | None = None
    jwks_requested: threading.Event = field(default_factory=threading.Event)

    def rotate(self) -> None:
        """A new key under a new kid; the JWKS publishes only the new one from now on."""
        self.kid = uuid.uuid4().hex
        self.key = Ed25519PrivateKey.generate()

    def jwks(self) -> dict[str, Any]:
        public = json.loads(OKPAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "EdDSA"}]}

    def token(self, **claims: Any) -> str:
        now = int(time.time())
        payload = {
            "iss": self.url,
            "sub": str(uuid.uuid4()),
            "aud": [AUDIENCE],
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
            "client_id": "hub-frontend",
            "scope": "openid",
            "sid": str(uuid.uuid4()),
            **claims,
        }
        return jwt.encode(payload, self.key, algorithm="EdDSA", headers={"kid": self.kid, "typ": "at+jwt"})


@contextmanager
def serve(issuer: Issuer) -> Iterator[Issuer]:
    class Handler(JsonHandler):
        def do_GET(self) -> None:
            if issuer.broken is not None:
                status, content_type, payload = issuer.broken
                issuer.broken_answers += 1
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            if self.path == "/.well-known/openid-configuration":
                issuer.discovery_fetches += 1
                body: dict[str, Any] = {
                    "issuer": issuer.announced_issuer or issuer.url,
                    "jwks_uri": issuer.url + "/.well-known/jwks.json",
                    "introspection_endpoint": issuer.url + "/oauth/introspect",
                }
            elif self.path == "/.well-known/jwks.json":
                issuer.jwks_requested.set()
                if issuer.hold_jwks is not None:
                    issuer.hold_jwks.wait(timeout=30)
                issuer.jwks_fetches += 1
                body = issuer.jwks()
            else:
                self.send_error(404)
                return
            self.send_json(200, body)

        def do_POST(self) -> None:
            if self.path != "/oauth/introspect":
                self.send_error(404)
                return
            form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
            issuer.introspections += 1
            self.send_json(200, issuer.introspection.get(form["token"][0], {"active": False}))

    with serving(Handler) as url:
        issuer.url = url
        yield issuer
