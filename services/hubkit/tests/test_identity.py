from django.test import override_settings

from hubkit.identity import shared_cache_keys


def test_shared_key_cache_is_namespaced_by_issuer() -> None:
    with override_settings(IDENTITY_ISSUER="https://identity-a.example"):
        first = shared_cache_keys()
    with override_settings(IDENTITY_ISSUER="https://identity-b.example"):
        second = shared_cache_keys()
    with override_settings(IDENTITY_ISSUER="https://identity-a.example"):
        again = shared_cache_keys()
    assert first == again
    assert set(first).isdisjoint(second)
    assert first[0] != first[1]
