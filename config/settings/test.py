import os

from .base import *  # noqa: F401,F403
from .base import BASE_DIR, SILENCED_SYSTEM_CHECKS, STORAGES, env

DEBUG = False
SECRET_KEY = "test-only-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PUBLIC_LEDGER_WINDOW = 0  # each test sees its own entries at once; tests/test_public_pages.py tries the window
# Emails go through the outbox, delivered to Django's test outbox (mail.outbox).
OUTBOX_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Jobs run as they are queued, in the test's own process; JOBS_SYNC=0 makes a real queue for the
# tests that start a worker (tests/reliability/).
Q_CLUSTER = {**Q_CLUSTER, "sync": env.bool("JOBS_SYNC", default=True)}  # noqa: F405


_TEST_FILES = BASE_DIR / ".test-media"
STATIC_ROOT = _TEST_FILES / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing directory
MEDIA_ROOT = env("TEST_MEDIA_ROOT", default=str(_TEST_FILES / "public"))
PRIVATE_MEDIA_ROOT = env("TEST_PRIVATE_MEDIA_ROOT", default=str(_TEST_FILES / "private"))
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory: the browser tests' live server answers from other threads, and a shared
    # in-memory database fails at once on a lock that a file database simply waits for.
    # One file per test run, so that two runs on one machine never share a database.
    DATABASES["default"]["TEST"] = {"NAME": str(_TEST_FILES / f"test-db-{os.getpid()}.sqlite3")}  # noqa: F405
else:
    # Request threads (the browser tests' live server) close their connections when done, so the
    # test database can be dropped at the end.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# One process counts its rate limits in its own memory; production counts them in Redis.
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "django_ratelimit.E003"]
