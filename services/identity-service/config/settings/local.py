"""Developer machine: debug on, dev secrets allowed, static files served from the apps."""

from config.settings.base import *  # noqa: F403

DEBUG = True
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
