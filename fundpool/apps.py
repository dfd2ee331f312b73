from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundpoolConfig(AppConfig):
    name = "fundpool"
    verbose_name = _("Fund pool")
