"""The client address behind a proxy: only the hops the trusted proxies appended count."""

from typing import Any

import pytest
from django.test import RequestFactory

from hubkit.client_address import client_address


@pytest.mark.parametrize(
    ("header", "trusted", "forwarded", "expected"),
    [
        ("", 1, "198.51.100.1", "10.0.0.1"),  # no header configured: the peer, whatever is sent
        ("X-Forwarded-For", 1, "1.1.1.1, 198.51.100.1", "198.51.100.1"),
        ("X-Forwarded-For", 2, "1.1.1.1, 198.51.100.1, 10.0.0.9", "198.51.100.1"),
        ("X-Forwarded-For", 2, "198.51.100.1", "198.51.100.1"),
        ("X-Forwarded-For", 1, "", "10.0.0.1"),
        ("X-Forwarded-For", 1, "1.1.1.1, not-an-address", "10.0.0.1"),
    ],
)
def test_client_address(header: str, trusted: int, forwarded: str, expected: str, settings: Any) -> None:
    settings.CLIENT_IP_HEADER = header
    settings.TRUSTED_PROXY_COUNT = trusted
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_without_the_settings_the_peer_is_the_client(settings: Any) -> None:
    del settings.CLIENT_IP_HEADER
    del settings.TRUSTED_PROXY_COUNT
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert client_address(request) == "10.0.0.1"
