from django.urls import path

from apps.health.views import readiness
from config.api import api
from hubkit.health import operational_urls

urlpatterns = [
    path("api/v1/", api.urls),
    *operational_urls(readiness),
]
