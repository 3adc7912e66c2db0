"""URLs for the auth benchmark: the real backend plus two identical endpoints, with and without auth."""

from django.http import HttpRequest
from django.urls import path
from ninja import NinjaAPI

from apps.identity.auth import BearerAuth
from config.urls import urlpatterns as backend_urlpatterns
from edge.permissions import requires

bench_api = NinjaAPI(urls_namespace="bench", auth=BearerAuth(), docs_url=None, openapi_url=None)


@bench_api.get("/anonymous", auth=None)
def anonymous(request: HttpRequest) -> dict[str, bool]:
    return {"ok": True}


@bench_api.get("/authenticated")
@requires()
def authenticated(request: HttpRequest) -> dict[str, bool]:
    return {"ok": True}


urlpatterns = [*backend_urlpatterns, path("bench/", bench_api.urls)]
