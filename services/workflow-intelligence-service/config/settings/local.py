"""Developer machine: debug on unless DEBUG says otherwise, dev secrets allowed."""

from config.env import env
from config.settings.base import *  # noqa: F403
from hubkit.logging import logging_from_env

DEBUG = env.bool("DEBUG", True)
# Readable logs on a developer machine unless LOG_FORMAT says otherwise.
LOGGING = logging_from_env(env, service="workflow-intelligence-service", debug=DEBUG)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
