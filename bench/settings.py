"""Settings for serving the site under gunicorn in benchmarks: the development settings with DEBUG
off, quiet logs, and one extra URL (bench/urls.py) for the baseline view."""

from config.settings.dev import *  # noqa: F401,F403
from config.settings.dev import LOGGING

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.urls"
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}
