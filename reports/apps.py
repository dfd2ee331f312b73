from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Documents")

    def ready(self):
        from grants.models import Agreement
        from grants.signals import agreement_signed

        from .documents import freeze_on_signing

        agreement_signed.connect(freeze_on_signing, sender=Agreement, dispatch_uid="reports-freeze-agreement")
