"""Kept for tooling that expects it; the backend is served over WSGI (ASGI costs 2.5-4x the CPU)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

application = get_asgi_application()
