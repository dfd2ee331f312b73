from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from core.admin import PermissionMenuItem

from . import views


@hooks.register("register_admin_urls")
def register_reports_admin_urls():
    patterns = [
        path("", views.jobs, name="jobs"),
        path("<int:pk>/download/", views.download, name="download"),
    ]
    return [path("documents/", include((patterns, "reports_admin"), namespace="reports_admin"))]


@hooks.register("register_admin_menu_item")
def annual_report_menu_item():
    return PermissionMenuItem(
        _("Annual report"),
        reverse("reports_admin:jobs"),
        icon_name="doc-full",
        order=250,
        perm="reports.generate_annual_report",
    )
