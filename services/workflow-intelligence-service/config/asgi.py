"""Kept for tooling that expects it; the service is served over WSGI (see TRAPS: ASGI costs CPU)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

application = get_asgi_application()
