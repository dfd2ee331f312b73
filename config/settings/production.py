from .base import *  # noqa: F401,F403
from .base import env

DEBUG = False
SECRET_KEY = env("SECRET_KEY")  # no default: production refuses to start without one
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
# No default: links in emails must name the address people use, not a guess.
SITE_BASE_URL = env("SITE_BASE_URL").rstrip("/")
WAGTAILADMIN_BASE_URL = SITE_BASE_URL
# The production profile runs two job clusters beside gunicorn (scripts/serve-production): the
# default one (gifts, emails, schedules) and "documents", so that a long report never holds up gifts.
JOB_CLUSTERS = {"documents": "documents"}
JOB_DOCUMENTS_TIMEOUT = env.int("JOB_DOCUMENTS_TIMEOUT", default=3600)
Q_CLUSTER = {
    **Q_CLUSTER,  # noqa: F405
    "ALT_CLUSTERS": {
        "documents": {
            "workers": 1,
            "timeout": JOB_DOCUMENTS_TIMEOUT,
            "retry": JOB_DOCUMENTS_TIMEOUT + JOB_RETRY_MARGIN,  # noqa: F405
        }
    },
}
# The people who move money sign in with a second factor (cms/mfa.py).
MFA_REQUIRED_ROLES = env.list("MFA_REQUIRED_ROLES", default=["finance", "superuser"])
CACHES = {"default": env.cache_url("CACHE_URL", default="rediscache://127.0.0.1:6379/1")}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
OUTBOX_DELIVERY_BACKEND = env("OUTBOX_DELIVERY_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
