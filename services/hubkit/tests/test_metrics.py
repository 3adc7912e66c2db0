from django.test import Client


def _sample(text: str, needle: str) -> float:
    for line in text.splitlines():
        if line.startswith("hub_http_requests_total{") and needle in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_requests_are_counted_by_route_pattern_and_status() -> None:
    client = Client(raise_request_exception=False)
    before = client.get("/metrics").content.decode()
    client.get("/api/v1/conflict")
    client.get("/api/v1/conflict")
    client.get("/api/v1/does-not-exist-123")
    after = client.get("/metrics").content.decode()
    key = 'route="api/v1/conflict",status="409"'
    assert _sample(after, key) - _sample(before, key) == 2
    unmatched = 'route="<unmatched>",status="404"'
    assert _sample(after, unmatched) - _sample(before, unmatched) == 1
    assert "does-not-exist-123" not in after
