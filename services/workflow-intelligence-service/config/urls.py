from django.urls import path

from apps.health.views import readiness
from config.api import api
from hubkit.health import liveness_view
from hubkit.metrics import metrics_view

urlpatterns = [
    path("api/v1/", api.urls),
    path("api/health/", liveness_view, name="health-live"),
    path("api/health/ready", readiness, name="health-ready"),
    path("metrics", metrics_view, name="metrics"),
]
