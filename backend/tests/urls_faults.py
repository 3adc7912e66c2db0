"""A test URLconf: the backend's routes and, before them, routes that fail unexpectedly.

An error nobody planned for must still answer as problem+json, whether it is raised in a Ninja
operation (wired like `config.api`, by `install_problem_handlers`) or in a plain Django view
(`hubkit.errors.ProblemDetailsMiddleware`). Selected with `@pytest.mark.urls("tests.urls_faults")`.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as backend_urlpatterns
from hubkit.ninja import install_problem_handlers
from hubkit.openapi import HubNinjaAPI

LEAK = "db password leaked"

faults = HubNinjaAPI(title="Faults", version="0", urls_namespace="faults", index_path=None)
install_problem_handlers(faults)


@faults.get("/boom", operation_id="raise_in_an_operation")
def raise_in_an_operation(request: HttpRequest) -> None:
    raise RuntimeError(LEAK)


def raise_in_a_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(LEAK)


urlpatterns = [
    path("api/v1/faults/", faults.urls),
    path("api/v1/faults-view/boom", raise_in_a_view),
    *backend_urlpatterns,
]
