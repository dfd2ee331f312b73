"""Applications, whose status changes only through the lifecycle (grants/lifecycle), with their budget lines, milestones and attachments."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField
from django_fsm_log.models import StateLog

from core.text import clean_name
from core.uploads import GeneratedName
from fundpool.models import MONEY
from fundpool.money import format_amount
from grants import lifecycle
from grants.models.calls import Call, PriorityProblem
from grants.models.common import (
    CHARGED,
    ZERO,
    ExpenseStatus,
    ObjectionStatus,
    TrancheStatus,
    TrancheTrigger,
    _private_storage,
)
from grants.models.groups import ResidentGroup
from grants.models.submission import application_submission_problems


class Application(lifecycle.ApplicationLifecycle, models.Model):
    call = models.ForeignKey(Call, verbose_name=_("call"), on_delete=models.PROTECT, related_name="applications")
    group = models.ForeignKey(
        ResidentGroup,
        verbose_name=pgettext_lazy("applicant", "group"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    status = FSMField(
        _("status"),
        max_length=20,
        choices=lifecycle.CHOICES,
        default=lifecycle.Status.DRAFT,
        protected=True,
        db_index=True,
    )
    title = models.CharField(_("project title"), max_length=120)
    summary = models.TextField(_("summary"), blank=True)
    problem = models.ForeignKey(
        PriorityProblem,
        verbose_name=_("priority problem addressed"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    activities = models.TextField(_("activities"), blank=True)
    beneficiaries = models.CharField(_("who benefits"), max_length=300, blank=True)
    beneficiary_count = models.PositiveIntegerField(_("how many people benefit"), null=True, blank=True)
    team = models.TextField(_("team"), blank=True)
    own_contribution = models.DecimalField(_("group's own contribution"), default=ZERO, **MONEY)
    matched_contribution = models.DecimalField(_("matched contributions secured"), default=ZERO, **MONEY)
    requested_amount = models.DecimalField(_("amount requested"), default=ZERO, **MONEY)
    # The budget rows exactly as typed, while one of them cannot be saved as a budget line (a typo
    # such as "12.3.4"): the page shows them again, marked, and nothing typed is lost. Empty once
    # every row is a valid line.
    budget_draft = models.JSONField(_("budget as typed"), default=list, blank=True)
    awarded_amount = models.DecimalField(_("amount awarded"), null=True, blank=True, **MONEY)
    capacity_amount = models.DecimalField(_("capacity-building sum"), default=ZERO, **MONEY)
    notice_starts_at = models.DateTimeField(_("public notice starts"), null=True, blank=True)
    notice_ends_at = models.DateTimeField(_("public notice ends"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # When the award was confirmed (confirm_award): an agreement cannot be signed before it.
    awarded_at = models.DateTimeField(_("award confirmed at"), null=True, blank=True)
    midterm_due_on = models.DateField(_("mid-term report due"), null=True, blank=True)
    final_due_on = models.DateField(_("final report due"), null=True, blank=True)
    # Special conditions staff set before signing: the group sees them in the draft agreement.
    agreement_conditions = models.TextField(_("special conditions of the agreement"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last saved"), auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        permissions = [
            ("screen_application", "Can screen applications and manage review"),
            ("decide_application", "Can decide awards and terminate grants"),
            ("manage_delivery", "Can manage agreements, delivery and reports"),
            ("review_application", "Can review applications assigned to them"),
            ("pay_tranche", "Can pay due tranches"),
            ("evaluate_report", "Can evaluate mid-term and final reports"),
        ]
        constraints = [
            models.CheckConstraint(
                name="application_amounts_not_negative",
                condition=Q(requested_amount__gte=0, own_contribution__gte=0, matched_contribution__gte=0),
            ),
            models.CheckConstraint(
                name="application_award_within_request",
                condition=Q(awarded_amount__isnull=True)
                | Q(awarded_amount__gt=0, awarded_amount__lte=models.F("requested_amount")),
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        self.title = clean_name(self.title)

    @property
    def reference(self) -> str:
        """The fund pool's reference for this grant's money."""
        return f"grant:{self.pk}"

    @property
    def applicant_status(self) -> str:
        return lifecycle.applicant_label(self.status)

    @property
    def is_editable(self) -> bool:
        return self.status in (lifecycle.Status.DRAFT, lifecycle.Status.RETURNED)

    def budget_total(self) -> Decimal:
        return self.budget_lines.aggregate(total=Sum("amount"))["total"] or ZERO

    def active_reviewer_count(self) -> int:
        return self.review_assignments.filter(recused=False).count()

    def has_open_objection(self) -> bool:
        """An objection whose contact is confirmed and that staff have not decided (one not yet
        confirmed is PENDING, and does not count)."""
        return self.objections.filter(status=ObjectionStatus.OPEN).exists()

    @property
    def capacity_reference(self) -> str:
        """The fund pool's reference for the capacity-building sum, kept apart from the project money."""
        return f"grant:{self.pk}:capacity"

    def submission_problems(self) -> list[str]:
        """Everything that stops this application being submitted, in words for the applicant."""
        return application_submission_problems(application=self)

    # --- four eyes (docs/delivery.md): who may not make which payment -------------------------

    def award_proposed_by(self, user) -> bool:
        """Whether `user` proposed this award (any time it was proposed), from the lifecycle log."""
        return StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(Application),
            object_id=self.pk,
            transition="propose_award",
            by=user,
        ).exists()

    def payment_conflict(self, user) -> str:
        """Why `user` may not make the next payment of this grant, or "". Whoever proposed the
        award pays none of its tranches; whoever approved an expense beyond its line's tolerance
        does not make the first payment of the project after that approval, whichever tranche it
        is. Superusers are bound too: the rule is about the person, not the role."""
        if not (user and user.is_authenticated and self.pk):
            return ""
        if self.award_proposed_by(user):
            return _("You proposed this award; under the four-eyes rule someone else pays its tranches.")
        last_paid = self.tranches.filter(status=TrancheStatus.PAID).aggregate(at=models.Max("paid_at"))["at"]
        approvals = self.expenses.filter(status=ExpenseStatus.APPROVED, decided_by=user)
        if last_paid is not None:
            approvals = approvals.filter(decided_at__gt=last_paid)
        approval = approvals.select_related("budget_line").order_by("decided_at").first()
        if approval is not None:
            return _(
                "You approved an expense beyond its line's tolerance (“%(line)s”, %(amount)s); under the "
                "four-eyes rule someone else makes the next payment after that approval."
            ) % {"line": approval.budget_line.item, "amount": format_amount(approval.amount)}
        return ""

    def pays_on_signing(self) -> bool:
        """Whether recording the agreement pays a tranche (the plan has one due on signing)."""
        return self.call.tranches.filter(trigger=TrancheTrigger.SIGNING).exists()

    def settlement_pays(self) -> bool:
        """Whether accepting the final report now pays a tranche: the group spent more than it
        was paid, and a tranche is left to pay it from (delivery_services.settle_final)."""
        if not self.tranches.filter(status__in=[TrancheStatus.PLANNED, TrancheStatus.DUE]).exists():
            return False
        spent = self.expenses.filter(status__in=CHARGED).aggregate(total=Sum("amount"))["total"] or ZERO
        paid = self.tranches.filter(status=TrancheStatus.PAID).aggregate(total=Sum("paid_amount"))["total"] or ZERO
        return spent > paid

    def signing_date_problem(self, signed_on) -> str:
        """Why the agreement cannot carry this signing date, or "". A date in the future would pay
        the first tranche now and count the report dates from a day that has not come, after which
        no activity date is valid; a date before the award was confirmed is before there was an
        award to sign."""
        today = timezone.localdate()
        if signed_on > today:
            return _("The signing date %(date)s is in the future: give the day the agreement was signed.") % {
                "date": signed_on.isoformat()
            }
        if self.awarded_at is not None and signed_on < timezone.localdate(self.awarded_at):
            return _(
                "The signing date %(date)s is before the award was confirmed (%(confirmed)s): the agreement is "
                "signed on or after that day."
            ) % {"date": signed_on.isoformat(), "confirmed": timezone.localdate(self.awarded_at).isoformat()}
        return ""


class BudgetLine(models.Model):
    class Category(models.TextChoices):
        MATERIALS = "materials", _("Materials and supplies")
        VENUE = "venue", _("Venue")
        SERVICES = "services", _("Services and fees")
        TRAVEL = "travel", _("Transport")
        PUBLICITY = "publicity", _("Publicity and printing")
        FOOD = "food", _("Food and drink")
        OTHER = "other", _("Other")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="budget_lines")
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    item = models.CharField(pgettext_lazy("budget", "item"), max_length=100)
    unit_cost = models.DecimalField(_("unit cost"), **MONEY)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2)
    amount = models.DecimalField(_("amount"), **MONEY)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        constraints = [
            models.CheckConstraint(
                name="budget_line_positive", condition=Q(unit_cost__gt=0, quantity__gt=0, amount__gt=0)
            ),
        ]

    def __str__(self):
        return f"{self.item}: {self.amount}"


class Milestone(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("milestone"), max_length=120)
    due_on = models.DateField(_("by"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["due_on", "position", "pk"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self):
        return self.title


class ApplicationAttachment(models.Model):
    MAX_FILES = 10

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="attachments")
    title = models.CharField(_("title"), max_length=120)
    file = models.FileField(_("file"), upload_to=GeneratedName("grants/attachments/%Y/%m/"), storage=_private_storage)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    # Blind review hides attachments that would identify the group.
    identifying = models.BooleanField(_("identifies the group"), default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.title


class EligibilityTick(models.Model):
    """Staff's result for one hand-checked eligibility item of an application, with their note.
    A later tick of the same item supersedes it; both stay (history)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="eligibility_ticks")
    check_item = models.ForeignKey("grants.CallCheck", on_delete=models.CASCADE, related_name="ticks")
    ok = models.BooleanField(_("met"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.check_item}: {self.ok}"
