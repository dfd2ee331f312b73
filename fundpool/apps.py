from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundpoolConfig(AppConfig):
    name = "fundpool"
    verbose_name = _("Fund pool")

    def ready(self):
        from core import audit

        from . import system_reasons  # noqa: F401 - registers the codes fundpool stores
        from .models import EntryKind

        audit.register_actions(
            {
                "fund.entry_post": _("Ledger entry posted"),
                "fund.entry_reverse": _("Ledger entry reversed"),
                "fund.inflow_document": _("Inflow document attached"),
                "fund.pledge_record": _("Pledge recorded"),
                "fund.pledge_cancel": _("Pledge cancelled"),
            }
        )
        audit.display("kind", lambda v: dict(EntryKind.choices).get(v, v))
