"""The choices grants models share (their values are stored, their labels shown), and where their private files are kept."""

from __future__ import annotations

from decimal import Decimal

from django.core.files.storage import storages
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ZERO = Decimal("0.00")


def _private_storage():
    return storages["private"]


class GroupType(models.TextChoices):
    INTEREST = "interest", _("Interest group")
    MUTUAL_AID = "mutual_aid", _("Mutual-aid group")
    VOLUNTEER = "volunteer", _("Volunteer team")
    REGISTERED = "registered", _("Registered organisation")


class Track(models.TextChoices):
    FILED = "filed", _("Filed resident groups")
    REGISTERED = "registered", _("Registered organisations")


class TrancheTrigger(models.TextChoices):
    SIGNING = "signing", _("On signing the agreement")
    MIDTERM = "midterm", _("Mid-term report accepted")
    FINAL = "final", _("Final report accepted")
    DATE = "date", _("On a date")


class FilingStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting filing")
    FILED = "filed", _("Filed")
    RETURNED = "returned", _("Returned for changes")
    NOT_REQUIRED = "not_required", _("Registered (no filing needed)")


class MemberRole(models.TextChoices):
    LEADER = "leader", _("Leader")
    MEMBER = "member", _("Member")


class Recommendation(models.TextChoices):
    FUND = "fund", _("Fund")
    FUND_WITH_CHANGES = "fund_with_changes", _("Fund with changes")
    DO_NOT_FUND = "do_not_fund", _("Do not fund")


class ObjectionStatus(models.TextChoices):
    # Received, its contact not yet confirmed: it does not hold up the award.
    PENDING = "pending", _("Contact not yet confirmed")
    # Confirmed and not yet decided: the award waits for staff (`Application.has_open_objection`).
    OPEN = "open", pgettext_lazy("objection status", "Open")
    DISMISSED = "dismissed", _("Dismissed")
    UPHELD = "upheld", _("Upheld")
    NOT_GENUINE = "not_genuine", _("Dismissed as not genuine")


class ContactMethod(models.TextChoices):
    EMAIL = "email", _("Email (confirmed by a link)")
    PHONE = "phone", _("Phone (staff call and check a code)")


class TrancheStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DUE = "due", _("Due")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


class ExpenseStatus(models.TextChoices):
    RECORDED = "recorded", _("Recorded")
    PENDING = "pending", _("Beyond tolerance, awaiting staff approval")
    APPROVED = "approved", _("Approved by staff")
    REJECTED = "rejected", _("Rejected: not chargeable to the grant")


# Expenses that count against the grant (a pending one counts until staff decide: the money is spent).
CHARGED = [ExpenseStatus.RECORDED, ExpenseStatus.APPROVED, ExpenseStatus.PENDING]


class ReportKind(models.TextChoices):
    MIDTERM = "midterm", _("Mid-term report")
    FINAL = "final", _("Final report")


class ReportStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted, awaiting evaluation")
    RETURNED = "returned", pgettext_lazy("report status", "Returned for changes")
    ACCEPTED = "accepted", _("Accepted")


class FeedbackStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting moderation")
    APPROVED = "approved", _("Shown")
    HIDDEN = "hidden", _("Hidden")


class RecoveryStatus(models.TextChoices):
    OWED = "owed", _("Owed")
    RECEIVED = "received", pgettext_lazy("recovery status", "Received")
