from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GrantsConfig(AppConfig):
    name = "grants"
    verbose_name = _("Grants")

    def ready(self):
        from core import audit

        from . import system_reasons  # noqa: F401 - registers the codes grants' services store

        # The stages register the implementations of the lifecycle table's effects with the runner.
        from .award import effects as award_effects  # noqa: F401
        from .delivery import effects as delivery_effects  # noqa: F401

        audit.register_actions(
            {
                "grants.group_file": _("Group filed"),
                "grants.group_return": _("Group filing returned"),
                "grants.review_assign": _("Reviewers assigned"),
                "grants.review_recuse": _("Reviewer recused"),
                "grants.review_reinstate": _("Reviewer reinstated"),
                "grants.objection_resolve": _("Objection resolved"),
                "grants.objection_reply": _("Objector answered"),
                "grants.info_request": _("Information requested"),
                "grants.info_item_accept": _("Requested item accepted"),
                "grants.bulk_action": _("Bulk action"),
                "grants.objection_verify": _("Objector's phone number confirmed"),
                "grants.objection_dismiss": _("Objection dismissed as not genuine"),
                "grants.transition": _("Application status changed"),
                "grants.expense_decide": _("Expense decided"),
                "grants.report_evaluate": _("Report evaluated"),
                "grants.feedback_moderate": _("Feedback moderated"),
            }
        )
