"""The outbox: every email the site sends is a row here first, then delivered by a background job
(core/outbox.py), so that staff can read what was sent, to whom, when, and whether it went."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed (being retried)")
    GAVE_UP = "gave_up", _("Not sent (given up)")
    # The person chose a daily digest for this kind (core/notifications.py): kept here, then sent
    # within the next digest, which the row points to.
    HELD = "held", _("Held for the daily digest")
    DIGESTED = "digested", _("Sent in a daily digest")


class OutboundEmail(models.Model):
    created_at = models.DateTimeField(_("written at"), auto_now_add=True, db_index=True)
    to = models.TextField(_("addressed to"))  # the addresses, one per line
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("email text"))
    from_email = models.CharField(_("sender"), max_length=300, blank=True)
    # What it is about: an opaque reference ("grant:42", "donation:7") and what kind of message.
    ref = models.CharField(_("concerns"), max_length=100, blank=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=60, blank=True)
    # Everything needed to send it again as it was: cc, bcc, reply-to, headers, HTML, attachments.
    extra = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("tries"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    digest = models.ForeignKey(
        "self", verbose_name=_("daily digest"), null=True, blank=True, on_delete=models.PROTECT, related_name="held"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        permissions = [("manage_jobs", _("Can see and retry failed background jobs"))]

    def __str__(self):
        return f"{self.subject} → {self.to.replace(chr(10), ', ')}"

    @property
    def recipients(self) -> list[str]:
        return [a for a in self.to.split("\n") if a]


class NotificationPreference(models.Model):
    """How one person wants one kind of notification: at once (no row), or in a daily digest."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs")
    kind = models.CharField(_("kind"), max_length=60)
    daily = models.BooleanField(_("in the daily digest"), default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_pref_once")]

    def __str__(self):
        return f"{self.user_id}:{self.kind}"
