from django.urls import path

from config.api import api
from hubkit.health import operational_urls

urlpatterns = [
    *operational_urls(),
    path("", api.urls),
]
