"""Emails to groups and staff, in the group's words. Called after the transaction commits."""

from __future__ import annotations

import logging
import unicodedata

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

from core import notifications
from core.outbox import KIND_HEADER, REF_HEADER
from core.site import site_url

from . import system_reasons
from .lifecycle import reason_for_group

logger = logging.getLogger(__name__)


def _send(subject: str, template: str, context: dict, recipients: list[str], *, ref: str = "", kind: str = "") -> None:
    """One email through the outbox (core/outbox.py), kept there with what it is about (`ref`, e.g.
    an application's reference) and its `kind`, so that staff can see who was told what."""
    recipients = sorted({r for r in recipients if r})
    if not recipients:
        return
    kind = kind or template.rsplit("/", 1)[-1].removesuffix(".txt")
    with translation.override(settings.LANGUAGE_CODE):
        # Templates write their links as {{ site_url }}{% url … %}: the site's address, SITE_BASE_URL.
        body = render_to_string(template, {"site_url": site_url(), **context})
        headers = {REF_HEADER: ref, KIND_HEADER: kind}
        try:
            # Whoever chose the daily digest for this kind gets it there (held in the outbox).
            daily = notifications.daily_recipients(kind, recipients)
            now = [r for r in recipients if r not in daily]
            if now:
                EmailMessage(str(subject), body, None, now, headers=headers).send()
            for address in sorted(daily):
                notifications.hold(EmailMessage(str(subject), body, None, [address], headers=headers))
        except Exception:  # noqa: BLE001 - a failure to queue must not undo a committed change
            logger.exception("could not send %s to %s", template, recipients)


def _member_emails(group) -> list[str]:
    return list(group.memberships.values_list("user__email", flat=True))


def group_registered(group) -> None:
    from django.utils.translation import gettext as _

    with translation.override(settings.LANGUAGE_CODE):
        _send(
            _("Your group %(name)s is registered") % {"name": group.name},
            "grants/email/group_registered.txt",
            {"group": group},
            _member_emails(group),
            ref=f"group:{group.pk}",
        )


def group_filing_changed(group) -> None:
    from django.utils.translation import gettext as _

    with translation.override(settings.LANGUAGE_CODE):
        _send(
            _("Filing of %(name)s: %(status)s") % {"name": group.name, "status": group.get_filing_status_display()},
            "grants/email/group_filing.txt",
            {"group": group},
            _member_emails(group),
            ref=f"group:{group.pk}",
        )


def group_invitation(invitation) -> None:
    from django.utils.translation import gettext as _

    with translation.override(settings.LANGUAGE_CODE):
        _send(
            _("You are invited to join %(name)s") % {"name": invitation.group.name},
            "grants/email/invitation.txt",
            {"invitation": invitation},
            [invitation.email],
            ref=f"group:{invitation.group_id}",
        )


def application_status_changed(application, reason: str, *, step: str) -> None:
    """Tell the group its application's status changed, with the step's reason only if the
    lifecycle says the reason is for the group (an internal note is never sent)."""
    from django.utils.translation import gettext as _

    if not reason_for_group(step):
        reason = ""
    with translation.override(settings.LANGUAGE_CODE):
        _send(
            _("%(title)s: %(status)s") % {"title": application.title, "status": application.applicant_status},
            "grants/email/status_changed.txt",
            {"application": application, "reason": system_reasons.display(reason)},
            _member_emails(application.group),
            ref=application.reference,
            kind="status_changed",
        )


def people_with(codename: str) -> list[str]:
    """The addresses of everyone active who holds grants' permission `codename` (superusers too)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    User = get_user_model()
    people = User.objects.filter(
        Q(is_superuser=True)
        | Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label="grants")
        | Q(user_permissions__codename=codename, user_permissions__content_type__app_label="grants"),
        is_active=True,
    ).distinct()
    return sorted({e for e in people.values_list("email", flat=True) if e})


def decider_emails() -> list[str]:
    """Everyone who decides objections (and awards): they get the objection digest."""
    return people_with("decide_application")


def objection_confirm_link(objection) -> None:
    """Ask the address an objection gave to confirm it: only then does it hold up the award."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    with translation.override(settings.LANGUAGE_CODE):
        _send(
            _("Please confirm your objection to “%(title)s”") % {"title": objection.application.title},
            "grants/email/objection_confirm.txt",
            {"objection": objection, "path": reverse("grants:objection_confirm", args=[objection.confirm_token()])},
            # As typed, with full-width characters (＠, ．) made plain.
            [unicodedata.normalize("NFKC", objection.contact).strip()],
            ref=objection.application.reference,
        )


def objection_answered(objection) -> None:
    """Tell an objector who gave an email address that the fund answered, with their private link."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    with translation.override(settings.LANGUAGE_CODE):
        _send(
            _("The fund answered your objection %(reference)s") % {"reference": objection.reference},
            "grants/email/objection_answered.txt",
            {"objection": objection, "path": reverse("grants:objection_page", args=[objection.page_token()])},
            [unicodedata.normalize("NFKC", objection.contact).strip()],
            ref=objection.application.reference,
            kind="objection_answered",
        )


def objection_digest(objections, recipients: list[str]) -> None:
    """One email to the deciders listing new objections; the objectors' names, contacts and words
    stay in the system, not the email."""
    from django.utils.translation import ngettext

    with translation.override(settings.LANGUAGE_CODE):
        _send(
            ngettext(
                "%(n)s new objection to proposed awards", "%(n)s new objections to proposed awards", len(objections)
            )
            % {"n": len(objections)},
            "grants/email/objection_digest.txt",
            {"objections": objections},
            recipients,
        )


def reviewer_assigned(assignment) -> None:
    """Tell a reviewer they have an application to review, and by when."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    with translation.override(settings.LANGUAGE_CODE):
        _send(
            _("An application to review, due %(date)s")
            % {"date": assignment.due_on.isoformat() if assignment.due_on else "—"},
            "grants/email/review_assigned.txt",
            {"assignment": assignment, "path": reverse("grants:review_detail", args=[assignment.pk])},
            [assignment.reviewer.email],
            ref=assignment.application.reference,
            kind="review_assigned",
        )


def review_reminder(assignment, *, overdue: bool) -> None:
    from django.urls import reverse
    from django.utils.translation import gettext as _

    with translation.override(settings.LANGUAGE_CODE):
        _send(
            (_("Overdue: a review due %(date)s") if overdue else _("Reminder: a review due %(date)s"))
            % {"date": assignment.due_on.isoformat()},
            "grants/email/review_reminder.txt",
            {
                "assignment": assignment,
                "overdue": overdue,
                "path": reverse("grants:review_detail", args=[assignment.pk]),
            },
            [assignment.reviewer.email],
            ref=assignment.application.reference,
            kind="review_reminder",
        )


def reviewer_reinstated(assignment) -> None:
    """Tell the reviewer that staff put them back on the application, and why."""
    from django.utils.translation import gettext as _

    with translation.override(settings.LANGUAGE_CODE):
        _send(
            _("You are reinstated as a reviewer"),
            "grants/email/reviewer_reinstated.txt",
            {"assignment": assignment},
            [assignment.reviewer.email],
            ref=assignment.application.reference,
        )


def delivery_reminder(email: str, scope: str, context: dict, today) -> None:
    from django.utils.translation import gettext as _

    with translation.override(settings.LANGUAGE_CODE):
        if scope.startswith("group:"):
            subject = _("%(group)s: what is due for your project") % {"group": context["group"].name}
        elif scope == "finance":
            subject = _("Tranches due for payment")
        else:
            subject = _("Delivery warnings: %(n)s") % {"n": len(context["warnings"])}
        _send(
            subject,
            "grants/email/delivery_reminder.txt",
            {**context, "scope": scope, "today": today, "for_group": scope.startswith("group:")},
            [email],
            ref=scope if scope.startswith("group:") else "",
        )


# --- delivery: what the group hears of, and what staff hear of --------------------------------


def _group_news(application, subject, template, context, kind) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        _send(
            subject,
            template,
            {"application": application, **context},
            _member_emails(application.group),
            ref=application.reference,
            kind=kind,
        )


def tranche_paid(tranche) -> None:
    from django.utils.translation import gettext as _

    from fundpool.money import format_amount

    with translation.override(settings.LANGUAGE_CODE):
        _group_news(
            tranche.application,
            _("Paid: %(amount)s for “%(title)s”")
            % {"amount": format_amount(tranche.paid_amount or tranche.amount), "title": tranche.application.title},
            "grants/email/tranche_paid.txt",
            {"tranche": tranche, "amount": format_amount(tranche.paid_amount or tranche.amount)},
            "payment",
        )


def expense_decided(expense) -> None:
    from django.utils.translation import gettext as _

    from fundpool.money import format_amount

    with translation.override(settings.LANGUAGE_CODE):
        _group_news(
            expense.application,
            _("Expense %(amount)s: %(decision)s")
            % {"amount": format_amount(expense.amount), "decision": expense.get_status_display()},
            "grants/email/expense_decided.txt",
            {"expense": expense, "amount": format_amount(expense.amount)},
            "expense_decided",
        )


def report_evaluated(report) -> None:
    from django.utils.translation import gettext as _

    with translation.override(settings.LANGUAGE_CODE):
        _group_news(
            report.application,
            _("Your %(kind)s report: %(status)s")
            % {"kind": report.get_kind_display(), "status": report.get_status_display()},
            "grants/email/report_evaluated.txt",
            {"report": report},
            "report_evaluated",
        )


def money_owed(recovery) -> None:
    from django.utils.translation import gettext as _

    from fundpool.money import format_amount

    with translation.override(settings.LANGUAGE_CODE):
        _group_news(
            recovery.application,
            _("%(amount)s to return for “%(title)s”")
            % {"amount": format_amount(recovery.amount_owed), "title": recovery.application.title},
            "grants/email/money_owed.txt",
            {"recovery": recovery, "amount": format_amount(recovery.amount_owed)},
            "money_owed",
        )


def submitted_to_staff(application, *, what: str) -> None:
    """Staff hear of a new submission, or of a report handed in."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    with translation.override(settings.LANGUAGE_CODE):
        if what == "report":
            subject = _("Report submitted: “%(title)s”") % {"title": application.title}
            kind, recipients = "report_submitted", people_with("evaluate_report")
        else:
            subject = _("New application: “%(title)s”") % {"title": application.title}
            kind, recipients = "submission", people_with("screen_application")
        _send(
            subject,
            "grants/email/submitted_to_staff.txt",
            {
                "application": application,
                "what": what,
                "path": reverse("grants_admin:application", args=[application.pk]),
            },
            recipients,
            ref=application.reference,
            kind=kind,
        )
