from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _
from wagtail.users import apps as wagtail_users_apps


def _ensure_roles(sender, using="default", **kwargs):
    from django.contrib.auth.management import create_permissions

    from .roles import ensure_roles

    # Our handler can run before Django has made the other apps' permissions: make them first.
    for label in ("auth", "wagtailadmin", "fundpool", "grants", "reports", "core"):
        create_permissions(apps.get_app_config(label), verbosity=0, using=using)
    ensure_roles()


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Public site")

    def ready(self):
        # After every migrate, so the groups exist with their permissions wherever the site runs.
        post_migrate.connect(_ensure_roles, sender=self)
        from grants.models import Outcome
        from grants.signals import outcome_recorded

        from .outcome_drafts import draft_outcome_page

        outcome_recorded.connect(draft_outcome_page, sender=Outcome, dispatch_uid="cms-draft-outcome")
        from .cache import connect

        connect()


class UsersConfig(wagtail_users_apps.WagtailUsersAppConfig):
    """Wagtail's user screens, with the project's rules on who may give whom a role (cms/users.py).
    Named in INSTALLED_APPS in place of "wagtail.users"; not the default config of "cms"."""

    default = False  # "cms" keeps CmsConfig: Django picks the one default config in this module
    user_viewset = "cms.users.UserViewSet"
