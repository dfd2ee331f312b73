"""Conversations: one thread per application (which stays the same thread once it is a funded
project) between the group's members and staff, with staff's internal notes, reviewers' questions
relayed through staff, and requests for information (补充材料) with named items and due dates.

A request for information is a flag beside the lifecycle state, not a state: it can be raised at
any stage and changes no step (grants/lifecycle/steps.py says so where the diagram is drawn)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.uploads import GeneratedName
from grants.models.applications import Application
from grants.models.common import _private_storage


class Thread(models.Model):
    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="thread")
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # When the group's oldest message that staff have not yet answered was sent (null when staff
    # had the last word): the work queue's "messages unanswered".
    awaiting_staff_since = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")

    def __str__(self):
        return str(self.application)


class MessageKind(models.TextChoices):
    MESSAGE = "message", pgettext_lazy("conversation", "Message")
    NOTE = "note", _("Internal note")
    QUESTION = "question", _("Reviewer's question")


class Message(models.Model):
    MAX_LENGTH = 5000
    MAX_FILES = 5

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=10, choices=MessageKind.choices, default=MessageKind.MESSAGE)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # Written by the fund (staff, or a reviewer's question) rather than by the group.
    from_fund = models.BooleanField(default=False)
    body = models.TextField(_("message"))
    # A staff message that passes a reviewer's question on to the group.
    relays = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="relayed_as")
    # The group's answer to a relayed question (or to any message of the fund).
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="replies")
    info_request = models.ForeignKey(
        "grants.InfoRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    # The sending form's one-time token: a double-click posts the same nonce twice, and the second
    # finds the first (one message).
    nonce = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = pgettext_lazy("conversation", "message")
        verbose_name_plural = pgettext_lazy("conversation", "messages")
        constraints = [
            models.UniqueConstraint(
                fields=["thread", "author", "nonce"], condition=~Q(nonce=""), name="message_nonce_once"
            ),
        ]

    def __str__(self):
        return self.body[:40]

    @property
    def is_internal(self) -> bool:
        return self.kind != MessageKind.MESSAGE


class MessageAttachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    title = models.CharField(_("title"), max_length=120)
    file = models.FileField(_("file"), upload_to=GeneratedName("grants/messages/%Y/%m/"), storage=_private_storage)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.title


class ThreadRead(models.Model):
    """Up to when one person has read one thread."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="thread_read_once")]

    def __str__(self):
        return f"{self.user_id} → {self.thread_id}"


class InfoRequest(models.Model):
    """Staff ask the group for named items (补充材料), each with a due date."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="info_requests")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("request for information")
        verbose_name_plural = _("requests for information")

    def __str__(self):
        return f"#{self.pk} {self.application}"


class ItemStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("request item", "Asked")
    DONE = "done", pgettext_lazy("request item", "Sent, awaiting staff")
    ACCEPTED = "accepted", pgettext_lazy("request item", "Accepted")


class InfoRequestItem(models.Model):
    request = models.ForeignKey(InfoRequest, on_delete=models.CASCADE, related_name="items")
    label = models.CharField(_("what is asked"), max_length=200)
    due_on = models.DateField(_("due by"))
    status = models.CharField(_("status"), max_length=10, choices=ItemStatus.choices, default=ItemStatus.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # How many times staff asked again, and why the last time.
    asked_again = models.PositiveSmallIntegerField(default=0)
    again_reason = models.CharField(_("why it is asked again"), max_length=500, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("requested item")
        verbose_name_plural = _("requested items")

    def __str__(self):
        return self.label
