"""Delivery and reporting: what a funded group does with the money, and how the fund sees it.

Activities with photos, expenses against budget lines, residents' feedback, mid-term and final reports
with their evaluation, the money owed back after a termination, and the outcome record a completed
project leaves for the public site. Rules live in grants/delivery_services.py."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.uploads import GeneratedName
from fundpool.models import MONEY
from grants.models.common import ExpenseStatus, FeedbackStatus, RecoveryStatus, ReportKind, ReportStatus


def _private_storage():
    from django.core.files.storage import storages

    return storages["private"]


class Activity(models.Model):
    application = models.ForeignKey(
        "grants.Application", verbose_name=_("project"), on_delete=models.PROTECT, related_name="activity_records"
    )
    held_on = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("what happened"), max_length=4000)
    participants = models.PositiveIntegerField(_("participants"))
    beneficiaries_reached = models.PositiveIntegerField(_("beneficiaries reached"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")

    def __str__(self):
        return f"{self.held_on} {self.title}"


class ProjectPhoto(models.Model):
    """A photo of an activity or a report: re-encoded as JPEG, resized, with no EXIF (no location)."""

    application = models.ForeignKey("grants.Application", on_delete=models.PROTECT, related_name="photos")
    activity = models.ForeignKey(Activity, null=True, blank=True, on_delete=models.PROTECT, related_name="photos")
    report = models.ForeignKey(
        "grants.ProjectReport", null=True, blank=True, on_delete=models.PROTECT, related_name="photos"
    )
    image = models.FileField(_("photo"), upload_to=GeneratedName("grants/photos/%Y/%m/"), storage=_private_storage)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self):
        return self.image.name


class Expense(models.Model):
    application = models.ForeignKey(
        "grants.Application", verbose_name=_("project"), on_delete=models.PROTECT, related_name="expenses"
    )
    budget_line = models.ForeignKey(
        "grants.BudgetLine", verbose_name=_("budget line"), on_delete=models.PROTECT, related_name="expenses"
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    spent_on = models.DateField(_("date"))
    payee = models.CharField(_("payee"), max_length=100)
    description = models.CharField(_("what for"), max_length=200, blank=True)
    receipt = models.FileField(
        _("receipt"), upload_to=GeneratedName("grants/receipts/%Y/%m/"), storage=_private_storage
    )
    receipt_content_type = models.CharField(max_length=100)
    status = models.CharField(_("status"), max_length=10, choices=ExpenseStatus.choices, default=ExpenseStatus.RECORDED)
    over_tolerance_reason = models.TextField(_("why the line needs more"), blank=True)
    decision_note = models.TextField(_("staff decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-spent_on", "-pk"]
        verbose_name = _("expense")
        verbose_name_plural = _("expenses")
        constraints = [models.CheckConstraint(name="expense_amount_positive", condition=Q(amount__gt=0))]

    def __str__(self):
        return f"{self.spent_on} {self.payee}: {self.amount}"


class ProjectReport(models.Model):
    """A mid-term or final report, evaluated (成效评估) by staff or trustees."""

    application = models.ForeignKey(
        "grants.Application", verbose_name=_("project"), on_delete=models.PROTECT, related_name="reports"
    )
    kind = models.CharField(_("report"), max_length=10, choices=ReportKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.SUBMITTED)
    outcomes = models.TextField(_("outcomes against the plan"), max_length=6000)
    beneficiaries_reached = models.PositiveIntegerField(_("beneficiaries reached"))
    spend_summary = models.JSONField(_("spending summary"), default=dict)
    story = models.TextField(_("a story from the project"), max_length=6000, blank=True)
    lessons = models.TextField(_("lessons learned"), max_length=4000, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    score = models.DecimalField(_("evaluation score"), max_digits=5, decimal_places=2, null=True, blank=True)
    evaluation = models.TextField(_("evaluation"), blank=True)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    evaluated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["submitted_at", "pk"]
        verbose_name = _("project report")
        verbose_name_plural = _("project reports")
        constraints = [
            # One report of each kind in play at a time: a second submission waits for a return.
            models.UniqueConstraint(
                fields=["application", "kind"],
                condition=Q(status__in=["submitted", "accepted"]),
                name="report_one_in_play_per_kind",
            ),
            models.CheckConstraint(
                name="report_score_range", condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100)
            ),
        ]

    def __str__(self):
        return f"{self.application} · {self.get_kind_display()}"


class Feedback(models.Model):
    """A resident's rating (1–5) and comment. Only the rating counts until staff approve the comment;
    `source` is a keyed hash of the sender's address, kept for rate limiting, never shown."""

    application = models.ForeignKey("grants.Application", on_delete=models.PROTECT, related_name="feedback")
    rating = models.PositiveSmallIntegerField(_("rating"))
    comment = models.TextField(pgettext_lazy("explanation", "comment"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=FeedbackStatus.choices, default=FeedbackStatus.PENDING
    )
    source = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("resident feedback")
        verbose_name_plural = _("resident feedback")
        constraints = [models.CheckConstraint(name="feedback_rating_range", condition=Q(rating__gte=1, rating__lte=5))]

    def __str__(self):
        return f"{self.application_id}: {self.rating}"


class Recovery(models.Model):
    """Money a group owes back (a termination, or less spent than was paid); booked as an inflow
    to the pool when it arrives."""

    application = models.OneToOneField("grants.Application", on_delete=models.PROTECT, related_name="recovery")
    amount_owed = models.DecimalField(_("amount owed"), **MONEY)
    received_total = models.DecimalField(_("received so far"), default=0, **MONEY)
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=10, choices=RecoveryStatus.choices, default=RecoveryStatus.OWED)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("recovery")
        verbose_name_plural = _("recoveries")
        constraints = [
            models.CheckConstraint(
                name="recovery_amounts",
                condition=Q(amount_owed__gt=0, received_total__gte=0, received_total__lte=models.F("amount_owed")),
            )
        ]

    def __str__(self):
        return f"{self.application}: {self.amount_owed}"

    @property
    def outstanding(self):
        return self.amount_owed - self.received_total


class Outcome(models.Model):
    """What a completed project achieved, drafted when its final report is accepted. The public site
    publishes it after staff edit it; money figures are never stored here (they are read live)."""

    application = models.OneToOneField("grants.Application", on_delete=models.PROTECT, related_name="outcome")
    final_report = models.ForeignKey(ProjectReport, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=120)
    summary = models.TextField(_("summary"))
    beneficiaries_reached = models.PositiveIntegerField(_("beneficiaries reached"))
    published = models.BooleanField(_("published"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")

    def __str__(self):
        return self.title


class ReminderSent(models.Model):
    """One row per reminder sent, so a scheduled run sends each reminder once a day."""

    key = models.CharField(max_length=200, unique=True)
    recipient = models.EmailField()
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.key
