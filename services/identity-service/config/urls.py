from django.urls import path

from apps.clients.views import introspect_view, revoke_view, token_view
from apps.signing.views import jwks_view, openid_configuration_view
from config.api import api
from hubkit.health import operational_urls

urlpatterns = [
    path("api/v1/", api.urls),
    *operational_urls(),
    path(".well-known/jwks.json", jwks_view, name="jwks"),
    path(".well-known/openid-configuration", openid_configuration_view, name="openid-configuration"),
    path(".well-known/oauth-authorization-server", openid_configuration_view, name="oauth-metadata"),
    path("oauth/token", token_view, name="oauth-token"),
    path("oauth/introspect", introspect_view, name="oauth-introspect"),
    path("oauth/revoke", revoke_view, name="oauth-revoke"),
]
