from django.conf import settings
from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_GET
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cms.auth import admin_login, private_page_login


@require_GET
def healthz(request):
    """Liveness plus a database round trip, for load balancers and the set-up script."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Before Wagtail's own: its login pages would sign in without the second factor.
    path("admin/login/", admin_login, name="wagtailadmin_login"),
    path("_util/login/", private_page_login, name="wagtailcore_login"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("fundpool.urls")),
    path("", include("grants.urls")),
    path("", include("cms.urls")),
    path("", include("reports.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
