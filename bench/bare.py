"""The bare Django baseline, configured in this one file: only the security and common
middleware, no database, one view returning a small page. Benchmarks serve it with the same
gunicorn command as the site (`_common.gunicorn_bare`) and give every ratio against it.

    DJANGO_SETTINGS_MODULE=bench.bare gunicorn bench.bare:application -w 2
"""

from django.http import HttpResponse
from django.urls import path

SECRET_KEY = "bench-bare-not-secret"  # noqa: S105 - serves one static page on loopback
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = __name__
INSTALLED_APPS: list[str] = []
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware", "django.middleware.common.CommonMiddleware"]
DATABASES: dict = {}
USE_TZ = True


def page(request):
    return HttpResponse("<!DOCTYPE html><title>ok</title><p>ok</p>")


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("", page), path("healthz", healthz)]

from django.core.wsgi import get_wsgi_application  # noqa: E402 - after the settings it reads

application = get_wsgi_application()
