from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from ninja import Form, NinjaAPI, Schema
from ninja.errors import AuthenticationError

from hubkit.errors import Conflict
from hubkit.fields import Text, UtcDatetime
from hubkit.health import liveness_view
from hubkit.metrics import metrics_view
from hubkit.ninja import JsonParser, JsonRenderer, install_problem_handlers

api = NinjaAPI(urls_namespace="hubkit-tests", parser=JsonParser(), renderer=JsonRenderer())
install_problem_handlers(api)


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


urlpatterns = [
    path("api/v1/", api.urls),
    path("api/health/", liveness_view),
    path("api/plain-boom", plain_boom),
    path("api/plain-missing", plain_missing),
    path("api/plain-refused", plain_refused),
    path("metrics", metrics_view),
]
