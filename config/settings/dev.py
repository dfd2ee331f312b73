from .base import *  # noqa: F401,F403
from .base import SILENCED_SYSTEM_CHECKS, STORAGES, env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me")
# Emails go through the outbox and are printed by the worker (make run shows them).
OUTBOX_DELIVERY_BACKEND = env("OUTBOX_DELIVERY_BACKEND", default="django.core.mail.backends.console.EmailBackend")
# A newcomer's demo sees a public notice close within a minute of its end.
JOB_CLOSE_NOTICES_EVERY = env.int("JOB_CLOSE_NOTICES_EVERY", default=1)
JOB_WORKERS = env.int("JOB_WORKERS", default=1)
Q_CLUSTER = {**Q_CLUSTER, "workers": JOB_WORKERS}  # noqa: F405
STORAGES = {**STORAGES}
# No manifest in development: runserver serves files straight from the apps.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
# One process counts its rate limits in its own memory; production counts them in Redis.
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "django_ratelimit.E003"]
