from django.urls import path

from config.api import api
from hubkit.health import operational_urls, token_verifier_readiness_view

urlpatterns = [
    path("api/v1/", api.urls),
    # Its API takes identity-service tokens: readiness also asks for the signing keys.
    *operational_urls(token_verifier_readiness_view),
]
