import threading
import uuid
from datetime import UTC, datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from ninja import Form, NinjaAPI, Schema
from ninja.errors import AuthenticationError

from hubkit.errors import Conflict
from hubkit.fields import Text, UtcDatetime
from hubkit.health import liveness_view
from hubkit.identity import TokenClaims
from hubkit.metrics import metrics_view
from hubkit.ninja import HubBearer, JsonParser, JsonRenderer, install_problem_handlers

api = NinjaAPI(urls_namespace="hubkit-tests", parser=JsonParser(), renderer=JsonRenderer())
install_problem_handlers(api)


ORGANIZATION_ID = uuid.UUID("0b0e7d5e-1c1a-4f51-9d7c-5a3f2a7e9a11")
USER_TOKEN = "user-token-dev-insecure-0123456789"
SERVICE_TOKEN = "service-token-dev-insecure-0123456789"


def _claims(*, is_service: bool) -> TokenClaims:
    return TokenClaims(
        subject="hub-backend" if is_service else "5d6c1f0e-8a3b-4c2d-9e1f-0a1b2c3d4e5f",
        is_service=is_service,
        organization_id=ORGANIZATION_ID,
        roles=frozenset() if is_service else frozenset({"staff"}),
        scopes=frozenset(),
        client_id="hub-backend" if is_service else "hub-frontend",
        email="",
        name="",
        expires_at=datetime.now(UTC) + timedelta(minutes=5),
    )


class FixedTokens(HubBearer):
    """Two fixed tokens: hubkit's bearer mechanics without an issuer."""

    def authenticate(self, request: HttpRequest, token: str) -> TokenClaims | None:
        return {USER_TOKEN: _claims(is_service=False), SERVICE_TOKEN: _claims(is_service=True)}.get(token)


@api.get("/whoami/{name}", auth=FixedTokens())
def whoami(request: HttpRequest, name: str) -> dict[str, str]:
    return {"name": name}


class ItemIn(Schema):
    name: Text
    quantity: int
    due: UtcDatetime | None = None


@api.post("/items")
def create_item(request: HttpRequest, payload: ItemIn) -> dict[str, object]:
    return {"name": payload.name, "quantity": payload.quantity, "due": payload.due}


class TokenForm(Schema):
    grant_type: str


@api.post("/form")
def submit_form(request: HttpRequest, form: Form[TokenForm]) -> dict[str, str]:
    return {"grant_type": form.grant_type}


@api.get("/conflict")
def conflict(request: HttpRequest) -> None:
    raise Conflict("Already taken.", code="slot_taken", extra={"conflicts": [{"id": "x"}]})


@api.get("/boom")
def boom(request: HttpRequest) -> None:
    raise RuntimeError("secret internals: password=hunter2")


@api.get("/private")
def private(request: HttpRequest) -> None:
    raise AuthenticationError


@api.get("/django-refusal")
def django_refusal(request: HttpRequest) -> None:
    raise PermissionDenied("internal reason")


def plain_boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("plain view internals")


def plain_missing(request: HttpRequest) -> HttpResponse:
    raise Http404("internal lookup detail")


def plain_refused(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("internal reason")


class HeldConnections:
    """`api/hold-connection` queries, says so, then keeps its connection until `release` is set."""

    def __init__(self) -> None:
        self.holding = threading.Semaphore(0)
        self.release = threading.Event()


HELD = HeldConnections()


def hold_connection(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    HELD.holding.release()
    HELD.release.wait(timeout=30)
    return HttpResponse("released")


urlpatterns = [
    path("api/v1/", api.urls),
    path("api/health/", liveness_view),
    path("api/plain-boom", plain_boom),
    path("api/plain-missing", plain_missing),
    path("api/plain-refused", plain_refused),
    path("api/hold-connection", hold_connection),
    path("metrics", metrics_view),
]
