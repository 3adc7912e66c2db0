from django.urls import path

from config.api import api
from hubkit.health import operational_urls

urlpatterns = [
    path("api/v1/", api.urls),
    *operational_urls(),
]
