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
        from .conversation import effects as conversation_effects  # noqa: F401
        from .delivery import effects as delivery_effects  # noqa: F401

        _register_notification_kinds()

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
                "grants.review_due": _("Review due date changed"),
                "grants.amendment_decide": _("Amendment decided"),
                "grants.correction": _("Record corrected"),
                "grants.amendment_confirm": _("Amendment's money confirmed by finance"),
                "grants.objection_verify": _("Objector's phone number confirmed"),
                "grants.objection_dismiss": _("Objection dismissed as not genuine"),
                "grants.transition": _("Application status changed"),
                "grants.expense_decide": _("Expense decided"),
                "grants.report_evaluate": _("Report evaluated"),
                "grants.feedback_moderate": _("Feedback moderated"),
            }
        )


def _register_notification_kinds() -> None:
    """What grants tells people, by kind: each person may take any of theirs in a daily digest."""
    from core.notifications import Kind, register_kinds

    from .conversation.rules import is_fund_staff

    def in_a_group(user):
        return user.is_authenticated and user.group_memberships.exists()

    def staff(user):
        return is_fund_staff(user)

    def reviewer(user):
        return user.is_authenticated and user.has_perm("grants.review_application")

    def anyone_who_talks(user):
        return in_a_group(user) or staff(user)

    register_kinds(
        Kind("message", _("Messages in a conversation"), anyone_who_talks),
        Kind("info_request", _("Requests for information"), in_a_group),
        Kind("info_reminder", _("Reminders of requested information"), anyone_who_talks),
        Kind("status_changed", _("Your application's status"), in_a_group),
        Kind("payment", _("Payments made to your project"), in_a_group),
        Kind("report_evaluated", _("Your reports evaluated"), in_a_group),
        Kind("expense_decided", _("Expenses approved or refused"), in_a_group),
        Kind("money_owed", _("Money to return"), in_a_group),
        Kind("submission", _("New applications submitted"), staff),
        Kind(
            "report_submitted",
            _("Reports submitted"),
            lambda u: u.is_authenticated and u.has_perm("grants.evaluate_report"),
        ),
        Kind("question", _("Reviewers' questions to pass on"), staff),
        Kind("info_done", _("Requested items sent by groups"), staff),
        Kind(
            "objection_digest",
            _("New objections to proposed awards"),
            lambda u: u.is_authenticated and u.has_perm("grants.decide_application"),
        ),
        Kind("review_assigned", _("Applications assigned to me to review"), reviewer),
        Kind("review_reminder", _("Reminders of reviews due"), reviewer),
        Kind("question_answered", _("Answers to my questions for groups"), reviewer),
    )
