from django.templatetags.static import static
from django.urls import include, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet

from . import admin_views, audit
from .admin import LocalInspectView, PermissionMenuItem
from .models import OutboundEmail


@hooks.register("insert_global_admin_css")
def admin_phone_css():
    return format_html('<link rel="stylesheet" href="{}">', static("core/admin-phone.css"))


@hooks.register("register_log_actions")
def register_audit_actions(actions):
    """Every app's registered staff actions, in Wagtail's site history with their details in words."""
    audit.register(actions)


class OutboxViewSet(ModelViewSet):
    """Every email the site sent or is sending: read only (list and inspect)."""

    model = OutboundEmail
    icon = "mail"
    menu_label = _("Outbox")
    menu_order = 260
    add_to_admin_menu = True
    inspect_view_enabled = True
    inspect_view_class = LocalInspectView
    copy_view_enabled = False
    list_display = [
        "subject",
        Column("to", label=_("addressed to"), accessor=lambda row: ", ".join(row.recipients)),
        Column("status", label=_("status"), accessor="get_status_display", classname="outbox-status"),
        "attempts",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status"]
    search_fields = ["subject", "to", "ref"]
    inspect_view_fields = [
        "created_at",
        "to",
        "subject",
        "body",
        "ref",
        "kind",
        "status",
        "attempts",
        "sent_at",
        "last_error",
    ]

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        view_kwargs.update(
            add_url_name=None, edit_url_name=None, delete_url_name=None, history_url_name=None, usage_url_name=None
        )
        return view_kwargs

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("inspect/<int:pk>/", self.inspect_view, name="inspect"),
        ]

    def register_reference_index(self):
        pass


@hooks.register("register_admin_viewset")
def register_outbox():
    return OutboxViewSet("outboundemail")


@hooks.register("register_admin_urls")
def register_jobs_urls():
    patterns = [
        path("", admin_views.failed_jobs, name="jobs"),
        path("<str:task_id>/retry/", admin_views.job_retry, name="job_retry"),
    ]
    return [path("jobs/", include((patterns, "core_admin"), namespace="core_admin"))]


@hooks.register("register_admin_menu_item")
def jobs_menu_item():
    return PermissionMenuItem(
        _("Background jobs"), reverse("core_admin:jobs"), icon_name="cogs", order=265, perm="core.manage_jobs"
    )
