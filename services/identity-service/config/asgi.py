"""Kept for tooling that expects it; the service is served over WSGI.

Django under ASGI costs 2.5-4x the CPU per request of WSGI on a two-core machine (sync/async
hops, thread handoffs), and the views are sync.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

application = get_asgi_application()
