from django.urls import path

from config.api import api
from config.readiness import readiness
from hubkit.health import operational_urls

urlpatterns = [
    *operational_urls(readiness),
    path("", api.urls),
]
