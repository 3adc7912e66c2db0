"""ServiceTokenClient and its httpx auth against a token endpoint and a callee over real HTTP."""

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from hubkit.identity import IdentityUnavailable
from hubkit.service_token import ServiceTokenClient
from hubkit.testing import free_port
from tests.http_stub import JsonHandler, serving


@dataclass
class Server:
    """Issues tokens `t1`, `t2`, ... at /oauth/token; /resource answers the scripted statuses."""

    url: str = ""
    issued: list[dict[str, str]] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)  # Authorization headers at /resource
    statuses: list[int] = field(default_factory=list)  # then 200
    token_body: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server()

    class Handler(JsonHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            with state.lock:
                if self.path == "/oauth/token":
                    form = dict(pair.split("=", 1) for pair in raw.split("&") if pair)
                    state.issued.append(form)
                    body: Any = state.token_body or {
                        "access_token": f"t{len(state.issued)}",
                        "expires_in": 900,
                    }
                    status = 200
                else:
                    state.seen.append(self.headers.get("Authorization", ""))
                    status = state.statuses.pop(0) if state.statuses else 200
                    body = {"echo": raw}
            self.send_json(status, body)

    with serving(Handler) as url:
        state.url = url
        yield state


def _tokens(server: Server, **kwargs: Any) -> ServiceTokenClient:
    return ServiceTokenClient(
        token_url=server.url + "/oauth/token", client_id="svc", client_secret="s", scope="x:write", **kwargs
    )


def test_tokens_are_cached_per_organization(server: Server) -> None:
    tokens = _tokens(server)
    assert tokens.token(organization_id="o1") == "t1"
    assert tokens.token(organization_id="o1") == "t1"
    assert tokens.token(organization_id="o2") == "t2"
    assert tokens.token() == "t3"
    assert [form.get("organization_id") for form in server.issued] == ["o1", "o2", None]
    assert server.issued[0]["scope"] == "x%3Awrite"


def test_a_401_is_retried_once_with_a_fresh_token(server: Server) -> None:
    tokens = _tokens(server)
    server.statuses = [401]
    with httpx.Client(base_url=server.url) as http:
        response = http.post("/resource", json={"a": 1}, auth=tokens.auth(organization_id="o1"))
        assert response.status_code == 200
        assert response.json() == {"echo": '{"a":1}'}  # the body was sent again, whole
        assert server.seen == ["Bearer t1", "Bearer t2"]
        assert len(response.history) == 1
        # The fresh token is the cached one now.
        assert http.post("/resource", auth=tokens.auth(organization_id="o1")).status_code == 200
    assert server.seen[-1] == "Bearer t2"
    assert len(server.issued) == 2


def test_a_second_401_is_the_answer(server: Server) -> None:
    tokens = _tokens(server)
    server.statuses = [401, 401, 401]
    auth = tokens.auth()
    with httpx.Client(base_url=server.url) as http:
        response = http.post("/resource", auth=auth)
    assert response.status_code == 401
    assert server.seen == ["Bearer t1", "Bearer t2"]
    assert len(response.history) == 1
    assert auth.attempts == 2


@pytest.mark.parametrize("status", [200, 403, 500])
def test_other_answers_are_not_retried(server: Server, status: int) -> None:
    server.statuses = [status]
    auth = _tokens(server).auth()
    with httpx.Client(base_url=server.url) as http:
        response = http.post("/resource", auth=auth)
    assert response.status_code == status
    assert server.seen == ["Bearer t1"]
    assert auth.attempts == 1


def test_forget_keeps_a_token_someone_else_already_renewed(server: Server) -> None:
    tokens = _tokens(server)
    tokens.token()
    tokens.forget()
    assert tokens.token() == "t2"
    tokens.forget(token="t1")  # the stale one: t2 stays
    assert tokens.token() == "t2"
    tokens.forget(token="t2")
    assert tokens.token() == "t3"


def test_an_unreachable_token_endpoint_is_identity_unavailable(server: Server) -> None:
    tokens = ServiceTokenClient(
        token_url=f"http://127.0.0.1:{free_port()}/oauth/token", client_id="svc", client_secret="s", timeout=1
    )
    with httpx.Client(base_url=server.url) as http, pytest.raises(IdentityUnavailable, match="unreachable"):
        http.post("/resource", auth=tokens.auth())
    assert server.seen == []


@pytest.mark.parametrize("body", [{"token": "x"}, ["t"], {"access_token": "t", "expires_in": "soon"}])
def test_a_token_answer_outside_the_contract_is_identity_unavailable(server: Server, body: Any) -> None:
    server.token_body = body
    with pytest.raises(IdentityUnavailable, match="unexpected body"):
        _tokens(server).token()
