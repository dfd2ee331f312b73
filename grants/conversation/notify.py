"""Emails about conversations, through the outbox (grants/notify.py's `_send`): to the group's
members for what the fund writes, to staff for what the group writes. Called after commit."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from grants.notify import _member_emails, _send, people_with


def staff_emails() -> list[str]:
    return people_with("screen_application")


def message_sent(message, *, items) -> None:
    thread = message.thread
    application = thread.application
    with translation.override(settings.LANGUAGE_CODE):
        if message.from_fund:
            _send(
                _("New message from the fund about “%(title)s”") % {"title": application.title},
                "grants/email/message_to_group.txt",
                {
                    "application": application,
                    "message": message,
                    "path": reverse("grants:thread", args=[application.pk]),
                },
                _member_emails(application.group),
                ref=application.reference,
                kind="message",
            )
        else:
            if message.reply_to_id and message.reply_to.relays_id:
                question_answered(message)
            _send(
                _("%(group)s wrote about “%(title)s”") % {"group": application.group.name, "title": application.title},
                "grants/email/message_to_staff.txt",
                {
                    "application": application,
                    "message": message,
                    "items": items,
                    "path": reverse("grants_admin:thread", args=[application.pk]),
                },
                staff_emails(),
                ref=application.reference,
                kind="message",
            )


def question_answered(message) -> None:
    """The group answered a reviewer's question that staff passed on: the reviewer hears of it,
    with the answer's words but not who wrote them (nor, under blind review, which group)."""
    question = message.reply_to.relays
    application = message.thread.application
    assignment = application.review_assignments.filter(reviewer=question.author).first()
    if question.author is None or assignment is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        _send(
            _("The group answered your question"),
            "grants/email/question_answered.txt",
            {"question": question, "message": message, "path": reverse("grants:review_detail", args=[assignment.pk])},
            [question.author.email],
            ref=application.reference,
            kind="question_answered",
        )


def question_asked(message) -> None:
    application = message.thread.application
    with translation.override(settings.LANGUAGE_CODE):
        _send(
            _("A reviewer has a question about “%(title)s”") % {"title": application.title},
            "grants/email/question_to_staff.txt",
            {"application": application, "path": reverse("grants_admin:thread", args=[application.pk])},
            staff_emails(),
            ref=application.reference,
            kind="question",
        )


def info_requested(request, message) -> None:
    application = request.application
    with translation.override(settings.LANGUAGE_CODE):
        _send(
            _("Please send more information for “%(title)s”") % {"title": application.title},
            "grants/email/info_request.txt",
            {
                "application": application,
                "items": list(request.items.all()),
                "message": message,
                "path": reverse("grants:thread", args=[application.pk]),
            },
            _member_emails(application.group),
            ref=application.reference,
            kind="info_request",
        )


def items_done(application, items) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        _send(
            _("%(group)s sent what was asked for “%(title)s”")
            % {"group": application.group.name, "title": application.title},
            "grants/email/items_done.txt",
            {"application": application, "items": items, "path": reverse("grants_admin:thread", args=[application.pk])},
            staff_emails(),
            ref=application.reference,
            kind="info_done",
        )


def info_reminder(email: str, application, items, *, missed: bool, to_staff: bool) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        if to_staff:
            subject = _("Overdue: information asked of %(group)s") % {"group": application.group.name}
            path = reverse("grants_admin:thread", args=[application.pk])
        elif missed:
            subject = _("Overdue: the information asked for “%(title)s”") % {"title": application.title}
            path = reverse("grants:thread", args=[application.pk])
        else:
            subject = _("Reminder: information due for “%(title)s”") % {"title": application.title}
            path = reverse("grants:thread", args=[application.pk])
        _send(
            subject,
            "grants/email/info_reminder.txt",
            {"application": application, "items": items, "missed": missed, "to_staff": to_staff, "path": path},
            [email],
            ref=application.reference,
            kind="info_reminder",
        )
