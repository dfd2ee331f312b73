"""Settings shared by every environment. Everything that differs between machines comes from the
environment (or a `.env` file beside manage.py), never from edits to this file."""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "cms",
    "grants",
    "fundpool",
    "reports",
    "core",
    "demo",
    "django_q",
    "django_fsm_log",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "csp",
    "django_ratelimit",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "cms.apps.UsersConfig",  # wagtail.users, with the rules on roles (cms/users.py)
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.SiteCSPMiddleware",
    "config.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "config.middleware.SessionTimeoutMiddleware",
    # Signed-in pages: Cache-Control: private, no-store.
    "config.middleware.PrivatePagesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # The roles that must use a second factor set one up before anything else (MFA_REQUIRED_ROLES).
    "config.middleware.MFARequiredMiddleware",
    # Pages already rendered for anonymous visitors, before any routing (see cms/cache.py).
    "cms.cache.PublicCacheMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First: refuses further attempts once an account or address is locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "cms" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database(url: str) -> dict:
    db = env.db_url_config(url)
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # One writer at a time, taken at BEGIN: spending money serialises instead of failing
        # half-way with "database is locked" when two requests race.
        db.setdefault("OPTIONS", {})
        db["OPTIONS"].update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            }
        )
    else:
        db.setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
        db.setdefault("CONN_HEALTH_CHECKS", True)
    return db


DATABASES = {"default": _database(env("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "cms.auth.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Chinese first, English second.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "cms" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "media"))
# Reference documents, charters and receipts: never under MEDIA_URL, served only through views
# that check who is asking.
PRIVATE_MEDIA_ROOT = env("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "private-media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
# Public pages' figures may lag new ledger entries by up to this many seconds (cms/cache.py).
PUBLIC_LEDGER_WINDOW = env.int("PUBLIC_LEDGER_WINDOW", default=10)

# Sessions: at most 12 hours after signing in; signed out after 2 hours idle, or 30 minutes for
# anyone who can open the admin (config/middleware.py). The cookie never outlives the session.
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_TIMEOUT", default=12 * 3600)
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=2 * 3600)
SESSION_IDLE_TIMEOUT_STAFF = env.int("SESSION_IDLE_TIMEOUT_STAFF", default=30 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Pages of the sign-in flow are private even before anyone is signed in (config/middleware.py).
PRIVATE_PATH_PREFIXES = ("/accounts/", "/admin/")

# Content Security Policy (django-csp): nothing inline and nothing from elsewhere on the public site
# and the applicants' pages; forms may post only here, and the donation form on to Stripe Checkout.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", "https://checkout.stripe.com"],
    }
}
# Wagtail's admin still writes a few inline scripts and styles (date pickers, inline panels).
CSP_ADMIN_PREFIX = "/admin/"
CSP_ADMIN_UPDATE = {"script-src": ["'unsafe-inline'"], "style-src": ["'unsafe-inline'"], "img-src": ["blob:"]}
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/dashboard/"

# Accounts (django-allauth): sign in with email (or username: staff, whose admin login comes here),
# the email verified before first use.
ACCOUNT_LOGIN_METHODS = {"email", "username"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[社区公益基金池] "
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
# A signed-in person sent to the login page (Wagtail does so for someone without admin access,
# with a message) sees it, and may sign in as someone else; sent back to `next`, they went round
# in circles between the admin and the login page.
ACCOUNT_AUTHENTICATED_LOGIN_REDIRECTS = False
# allauth reads this only when AUTH_PASSWORD_VALIDATORS is empty; the validator above holds the rule.
ACCOUNT_PASSWORD_MIN_LENGTH = 10
# Failed logins are counted and locked out by django-axes (one mechanism, one message).
ACCOUNT_RATE_LIMITS = {"login_failed": None}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="社区公益基金池 <noreply@fund.invalid>")
# Who is alerted about gifts held in suspense (comma-separated emails).
MANAGERS = [("", email) for email in env.list("MANAGERS_EMAILS", default=[])]

# A second factor (django-allauth's MFA): an authenticator app (TOTP), with recovery codes. Anyone
# signed in may turn it on (staff, finance and superusers find it on their admin account page).
# MFA_REQUIRED_ROLES: who must use it ("superuser", "staff", "finance"); none here, finance and
# superusers in production (config/settings/production.py).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_ADAPTER = "cms.mfa.MFAAdapter"
# Wrong codes are counted per account, as wrong passwords are (cms/mfa.py).
MFA_FORMS = {"authenticate": "cms.mfa.AuthenticateForm", "reauthenticate": "cms.mfa.ReauthenticateForm"}
MFA_TOTP_ISSUER = env("SITE_NAME", default="社区公益基金池")
MFA_REQUIRED_ROLES = env.list("MFA_REQUIRED_ROLES", default=[])
# Wagtail's own login pages go to the site's (cms/auth.py), which asks for the second factor.
WAGTAILADMIN_LOGIN_URL = "/accounts/login/"
WAGTAIL_FRONTEND_LOGIN_URL = "/accounts/login/"

# Brute-force protection (django-axes) for the site's login and Wagtail's admin login alike.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "cms.auth.axes_username"
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
AXES_VERBOSE = False

# How many reverse proxies in front of the site append to X-Forwarded-For (0: none; the sender's
# address is REMOTE_ADDR). Only hops we trust are read, so a sender cannot pick their own address.
TRUSTED_PROXY_HOPS = env.int("TRUSTED_PROXY_HOPS", default=0)
# Public forms that write (objections, the donate page, residents' feedback) are rate limited by
# django-ratelimit (fundpool/ratelimit.py), counted in the default cache, per the address above.
RATELIMIT_IP_META_KEY = "core.ratelimit.client_address"
# django-ratelimit's check names only django-redis; Django's own RedisCache increments atomically too.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]

WAGTAIL_SITE_NAME = env("SITE_NAME", default="社区公益基金池")
# The publisher prefix in 360Giving identifiers (360G-<prefix>-<id>).
OPEN_DATA_PREFIX = env("OPEN_DATA_PREFIX", default="cuihu-fund")
# The shortest public notice a call may set, in days (proposed awards stay on notice this long at least).
NOTICE_MIN_DAYS = env.int("NOTICE_MIN_DAYS", default=5)
# The site's address as people reach it: scheme, host and port, no path (e.g. https://fund.example.org).
# Every link in an email is made from it (core.site.site_url), allauth's and Wagtail's too.
# The default is where `make run` serves; it passes the address it really uses.
SITE_BASE_URL = env("SITE_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
WAGTAILADMIN_BASE_URL = SITE_BASE_URL
# allauth makes its emails' links from the request's host; this adapter makes them from SITE_BASE_URL.
ACCOUNT_ADAPTER = "cms.accounts.AccountAdapter"
# No avatars from an outside service: nothing about staff leaves the site, and no broken images offline.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "pdf", "xlsx", "jpg", "jpeg", "png"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 10 * 1024 * 1024

# The pool keeps one currency; amounts in any other are refused.
FUNDPOOL_CURRENCY = env("FUNDPOOL_CURRENCY", default="CNY")

STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
# Payment method types offered in Checkout (comma-separated): card, alipay, wechat_pay.
STRIPE_PAYMENT_METHODS = env.list("STRIPE_PAYMENT_METHODS", default=["card", "alipay", "wechat_pay"])
# Stripe events are stored and answered at once, and booked by a background job (fundpool/jobs.py).
# STRIPE_PROCESS_INLINE books them before answering instead (a comparison for the benchmarks).
STRIPE_PROCESS_INLINE = env.bool("STRIPE_PROCESS_INLINE", default=False)
# A document still "being generated" this long after it started was cut off; the schedule's sweep
# marks it failed so that staff see it and ask again.
DOCUMENT_JOB_TIMEOUT = env.int("DOCUMENT_JOB_TIMEOUT", default=3600)

# Background jobs (core/jobs.py): django-q2, with this database as its broker, so a job is queued
# in the same transaction as the change that asks for it, and a job whose worker died is taken again
# (docs/operations.md). `manage.py qcluster` runs the workers and the scheduler.
JOB_WORKERS = env.int("JOB_WORKERS", default=2)
JOB_TIMEOUT = env.int("JOB_TIMEOUT", default=900)  # seconds a job may run before it is stopped
# A job taken this long ago and not acknowledged lost its worker (killed, say): it is taken again.
JOB_RETRY_MARGIN = env.int("JOB_RETRY_MARGIN", default=60)
# Documents (PDFs, the annual report) may run longer; a cluster of their own in production.
JOB_DOCUMENTS_TIMEOUT = env.int("JOB_DOCUMENTS_TIMEOUT", default=JOB_TIMEOUT)
JOB_RETRIES = env.int("JOB_RETRIES", default=5)  # tries before a job is given up and staff are told
JOB_RETRY_BASE = env.int("JOB_RETRY_BASE", default=30)  # seconds before the 2nd try; doubles each time
# How often, in minutes, the scheduled jobs run (core/jobs.py SCHEDULES).
JOB_CLOSE_NOTICES_EVERY = env.int("JOB_CLOSE_NOTICES_EVERY", default=60)
JOB_REMINDERS_EVERY = env.int("JOB_REMINDERS_EVERY", default=24 * 60)
JOB_DIGEST_EVERY = env.int("JOB_DIGEST_EVERY", default=24 * 60)
JOB_STRIPE_SWEEP_EVERY = env.int("JOB_STRIPE_SWEEP_EVERY", default=1)
JOB_DOCUMENTS_SWEEP_EVERY = env.int("JOB_DOCUMENTS_SWEEP_EVERY", default=5)
# Which cluster takes which kind of job; a kind not named goes to the one cluster (development).
JOB_CLUSTERS: dict[str, str] = {}
Q_CLUSTER = {
    "name": "fundpool",
    "orm": "default",
    "workers": JOB_WORKERS,
    "timeout": JOB_TIMEOUT,
    # A job not acknowledged this long after it was taken (its worker was killed) is taken again.
    "retry": JOB_TIMEOUT + JOB_RETRY_MARGIN,
    "max_attempts": JOB_RETRIES,
    # A job that raised is acknowledged; core/jobs.py schedules its next try with backoff.
    "ack_failures": True,
    "catch_up": False,
    # Jobs that succeeded are not kept (each kept result cost every job a look at the others);
    # failed tries are, for the admin's 后台任务 screen, until a later try succeeds.
    "save_limit": -1,
    "poll": 1,
    "label": "后台任务 Background jobs",
}
# Every email goes through the outbox (core/outbox.py), which sends it with this backend.
EMAIL_BACKEND = "core.outbox.OutboxBackend"
OUTBOX_DELIVERY_BACKEND = env("OUTBOX_DELIVERY_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
DONATION_MAX_AMOUNT = env("DONATION_MAX_AMOUNT", default="50000")
DONATION_PRESETS = ["20", "50", "100", "200"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Wagtail's background tasks run inline here and would log every one at INFO.
        "django_tasks": {"level": "WARNING"},
        "django.tasks": {"level": "WARNING"},
    },
}

SITE_LABEL = _("Community fund pool")
