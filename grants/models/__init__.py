"""Grants: the places a fund serves, priority problems, calls, resident groups and applications.

An application's status changes only through the lifecycle (grants/lifecycle.py), called by the
services (grants/services.py)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db import models
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField
from django_fsm_log.models import StateLog
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

from core.text import clean_name, name_key
from core.uploads import GeneratedName
from fundpool.models import MONEY, Theme
from fundpool.money import format_amount

from .. import lifecycle
from ..validators import normalise_phone, validate_credit_code, validate_phone
from .submission import application_submission_problems

ZERO = Decimal("0.00")


def _private_storage():
    return storages["private"]


class SubDistrict(models.Model):
    """街道: the level at which unregistered groups are filed."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    district = models.CharField(_("district"), max_length=100, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("sub-district")
        verbose_name_plural = _("sub-districts")

    def __str__(self):
        return self.name


class Community(models.Model):
    """社区: a residents' committee area."""

    sub_district = models.ForeignKey(
        SubDistrict, verbose_name=_("sub-district"), on_delete=models.PROTECT, related_name="communities"
    )
    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=50, unique=True)

    class Meta:
        ordering = ["sub_district__name", "name"]
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        constraints = [models.UniqueConstraint(fields=["sub_district", "name"], name="community_unique_name")]

    def __str__(self):
        return self.name


class PriorityProblem(models.Model):
    """A community priority problem from the annual needs survey, with its rank."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    theme = models.ForeignKey(Theme, verbose_name=_("theme"), on_delete=models.PROTECT, related_name="problems")
    community = models.ForeignKey(
        Community,
        verbose_name=_("community"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Leave empty for a problem of the whole sub-district."),
    )
    survey_year = models.PositiveSmallIntegerField(_("survey year"))
    rank = models.PositiveSmallIntegerField(_("rank"), help_text=_("1 is the most pressing."))

    class Meta:
        ordering = ["-survey_year", "rank"]
        verbose_name = _("priority problem")
        verbose_name_plural = _("priority problems")
        constraints = [models.CheckConstraint(name="problem_rank_positive", condition=Q(rank__gte=1))]

    def __str__(self):
        return f"{self.survey_year} #{self.rank} {self.title}"


class GroupType(models.TextChoices):
    INTEREST = "interest", _("Interest group")
    MUTUAL_AID = "mutual_aid", _("Mutual-aid group")
    VOLUNTEER = "volunteer", _("Volunteer team")
    REGISTERED = "registered", _("Registered organisation")


class Track(models.TextChoices):
    FILED = "filed", _("Filed resident groups")
    REGISTERED = "registered", _("Registered organisations")


class Call(ClusterableModel):
    """申报批次: a call for applications with its money, window, eligibility, rubric and tranches."""

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    problems = models.ManyToManyField(PriorityProblem, verbose_name=_("priority problems"), blank=True)
    budget = models.DecimalField(_("budget envelope"), **MONEY)
    min_amount = models.DecimalField(_("minimum grant"), **MONEY)
    max_amount = models.DecimalField(_("maximum grant"), **MONEY)
    opens_at = models.DateTimeField(_("applications open"))
    closes_at = models.DateTimeField(_("applications close"))
    tracks = models.JSONField(
        _("tracks"), default=list, blank=True, help_text=_("Which groups may apply: filed, registered or both.")
    )
    communities = models.ManyToManyField(
        Community, verbose_name=_("eligible communities"), blank=True, help_text=_("Empty: every community.")
    )
    allow_multiple_applications = models.BooleanField(
        _("a group may apply more than once"),
        default=False,
        help_text=_(
            "Off: one application per group in this call (withdrawn and ineligible ones don't count). "
            "On: a group may send several projects."
        ),
    )
    reviewers_per_application = models.PositiveSmallIntegerField(_("reviewers per application"), default=3)
    notice_days = models.PositiveSmallIntegerField(_("public notice (days)"), default=7)
    blind_review = models.BooleanField(_("blind review"), default=False)
    disagreement_threshold = models.DecimalField(
        _("disagreement threshold (points)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("20"),
        help_text=_("Flag an application when its reviewers' totals differ by more than this."),
    )
    capacity_building_amount = models.DecimalField(
        _("capacity-building sum per award (组织发展金)"),
        default=ZERO,
        help_text=_("Committed from capacity-building money beside each award; 0 for none."),
        **MONEY,
    )
    spending_tolerance = models.DecimalField(
        _("budget line tolerance (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("10"),
        help_text=_("A budget line may be overspent by this share of its amount; beyond it only with staff approval."),
    )
    inactivity_days = models.PositiveSmallIntegerField(
        _("warn after days without activity"), default=30, help_text=_("0 turns the warning off.")
    )
    midterm_report_days = models.PositiveSmallIntegerField(
        _("mid-term report due (days after signing)"), default=90, help_text=_("0: no mid-term report.")
    )
    final_report_days = models.PositiveSmallIntegerField(_("final report due (days after signing)"), default=180)
    published = models.BooleanField(_("published"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-opens_at"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        permissions = [("view_lifecycle", "Can see the lifecycle diagram")]
        constraints = [
            models.CheckConstraint(
                name="call_amounts_in_order",
                condition=Q(
                    min_amount__gt=0, max_amount__gte=models.F("min_amount"), budget__gte=models.F("max_amount")
                ),
            ),
            models.CheckConstraint(name="call_window_in_order", condition=Q(closes_at__gt=models.F("opens_at"))),
            models.CheckConstraint(
                name="call_tolerance_range", condition=Q(spending_tolerance__gte=0, spending_tolerance__lte=100)
            ),
            models.CheckConstraint(
                name="call_report_days_in_order",
                condition=Q(final_report_days__gt=models.F("midterm_report_days")),
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def reference(self) -> str:
        """How the fund pool knows this call (for call-restricted money)."""
        return f"call:{self.slug}"

    def is_open(self, at=None) -> bool:
        at = at or timezone.now()
        return self.published and self.opens_at <= at < self.closes_at

    def accepts_group(self, group: ResidentGroup) -> bool:
        track = Track.REGISTERED if group.group_type == GroupType.REGISTERED else Track.FILED
        if self.tracks and track not in self.tracks:
            return False
        community_ids = {c.pk for c in self.communities.all()}
        return not community_ids or group.community_id in community_ids

    def clean(self):
        errors = {}
        if self.min_amount is not None and self.max_amount is not None and self.min_amount > self.max_amount:
            errors["max_amount"] = _("The maximum grant must not be below the minimum.")
        if self.max_amount is not None and self.budget is not None and self.max_amount > self.budget:
            errors["budget"] = _("The budget envelope must cover at least one maximum grant.")
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            errors["closes_at"] = _("Applications must close after they open.")
        if self.notice_days is not None and self.notice_days < settings.NOTICE_MIN_DAYS:
            errors["notice_days"] = _("The public notice lasts at least %(days)s days.") % {
                "days": settings.NOTICE_MIN_DAYS
            }
        bad_tracks = set(self.tracks or []) - set(Track.values)
        if bad_tracks:
            errors["tracks"] = _("Unknown track.")
        if errors:
            raise ValidationError(errors)

    def criteria_total_weight(self) -> Decimal:
        return sum((c.weight for c in self.criteria.all()), Decimal(0))

    def tranche_total_share(self) -> Decimal:
        return sum((t.share for t in self.tranches.all()), Decimal(0))


class CallCriterion(Orderable):
    """A rubric criterion: scored up to `max_points`, weighted; weights of a call sum to 100."""

    call = ParentalKey(Call, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("criterion"), max_length=100)
    description = models.CharField(_("what reviewers look for"), max_length=300, blank=True)
    max_points = models.PositiveSmallIntegerField(_("maximum points"), default=10)
    weight = models.DecimalField(_("weight (%)"), max_digits=5, decimal_places=2)

    class Meta(Orderable.Meta):
        verbose_name = _("rubric criterion")
        verbose_name_plural = _("rubric criteria")
        constraints = [
            models.CheckConstraint(name="criterion_weight_range", condition=Q(weight__gt=0, weight__lte=100)),
            models.CheckConstraint(name="criterion_points_positive", condition=Q(max_points__gte=1)),
        ]

    def __str__(self):
        return f"{self.name} ({self.weight}%)"


class TrancheTrigger(models.TextChoices):
    SIGNING = "signing", _("On signing the agreement")
    MIDTERM = "midterm", _("Mid-term report accepted")
    FINAL = "final", _("Final report accepted")
    DATE = "date", _("On a date")


class CallTranche(Orderable):
    """One instalment of the call's payment plan; shares of a call sum to 100."""

    call = ParentalKey(Call, on_delete=models.CASCADE, related_name="tranches")
    share = models.DecimalField(_("share (%)"), max_digits=5, decimal_places=2)
    trigger = models.CharField(_("paid when"), max_length=10, choices=TrancheTrigger.choices)
    due_after_days = models.PositiveSmallIntegerField(
        _("days after signing"), null=True, blank=True, help_text=_("Only for a tranche paid on a date.")
    )

    class Meta(Orderable.Meta):
        verbose_name = _("tranche")
        verbose_name_plural = _("tranche plan")
        constraints = [
            models.CheckConstraint(name="tranche_share_range", condition=Q(share__gt=0, share__lte=100)),
            models.CheckConstraint(
                name="tranche_date_has_days", condition=~Q(trigger="date") | Q(due_after_days__isnull=False)
            ),
        ]

    def __str__(self):
        return f"{self.share}% · {self.get_trigger_display()}"

    def clean(self):
        if self.trigger == TrancheTrigger.DATE and self.due_after_days is None:
            raise ValidationError({"due_after_days": _("Say how many days after signing this tranche is paid.")})


class FilingStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting filing")
    FILED = "filed", _("Filed")
    RETURNED = "returned", _("Returned for changes")
    NOT_REQUIRED = "not_required", _("Registered (no filing needed)")


class ResidentGroup(models.Model):
    """申报主体: a resident group (filed with the sub-district) or a registered organisation."""

    name = models.CharField(_("group name"), max_length=100)
    # The name as uniqueness sees it (core.text.name_key): look-alikes share one key.
    name_key = models.CharField(max_length=300, editable=False, default="")
    group_type = models.CharField(_("type"), max_length=20, choices=GroupType.choices)
    community = models.ForeignKey(
        Community, verbose_name=_("community"), on_delete=models.PROTECT, related_name="groups"
    )
    leader_name = models.CharField(_("leader's name"), max_length=50)
    leader_phone = models.CharField(_("leader's phone"), max_length=30, validators=[validate_phone])
    member_count = models.PositiveSmallIntegerField(_("number of members"))
    member_list = models.TextField(_("members"), help_text=_("One member per line: name and building/unit."))
    introduction = models.TextField(_("what the group does"), blank=True)
    charter = models.FileField(
        _("charter"), upload_to=GeneratedName("grants/charters/%Y/%m/"), storage=_private_storage, blank=True
    )
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, validators=[validate_credit_code]
    )
    filing_status = models.CharField(
        _("filing"), max_length=20, choices=FilingStatus.choices, default=FilingStatus.PENDING
    )
    filing_number = models.CharField(_("filing number"), max_length=50, blank=True)
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    filing_note = models.TextField(_("note from staff"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["community__name", "name"]
        verbose_name = _("resident group")
        verbose_name_plural = _("resident groups")
        permissions = [("file_residentgroup", "Can file (备案) resident groups")]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "name_key"],
                name="group_unique_name_in_community",
                violation_error_message=_("A group with this name is already registered in this community."),
            ),
            models.UniqueConstraint(
                fields=["credit_code"], condition=~Q(credit_code=""), name="group_unique_credit_code"
            ),
            models.UniqueConstraint(
                fields=["filing_number"], condition=~Q(filing_number=""), name="group_unique_filing_number"
            ),
            models.CheckConstraint(
                name="group_filed_has_number",
                condition=~Q(filing_status="filed") | (~Q(filing_number="") & Q(filed_on__isnull=False)),
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # Every write keeps the key in step with the name, whichever path made it.
        self.name_key = name_key(self.name)[: self._meta.get_field("name_key").max_length]
        if kwargs.get("update_fields") is not None and "name" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_key"}
        super().save(*args, **kwargs)

    @property
    def is_filed(self) -> bool:
        return self.filing_status == FilingStatus.FILED

    def clean(self):
        # Before any uniqueness check: a look-alike name is the name it looks like.
        self.name, self.leader_name = clean_name(self.name), clean_name(self.leader_name)
        self.name_key = name_key(self.name)
        try:
            self.leader_phone = normalise_phone(self.leader_phone)
        except ValidationError:
            pass  # the field's validator says what to type
        errors = {}
        if not self.name:
            errors["name"] = _("Give the group's name.")
        elif len(self.name_key) > self._meta.get_field("name_key").max_length:
            errors["name"] = _("This name is too long.")
        elif (
            self.community_id
            and ResidentGroup.objects.filter(community_id=self.community_id, name_key=self.name_key)
            .exclude(pk=self.pk)
            .exists()
        ):
            # Said here, beside the name, on every form (the key itself is on none of them); the
            # database constraint still decides between two registrations at the same moment.
            errors["name"] = _("A group with this name is already registered in this community.")
        if self.group_type == GroupType.REGISTERED and not self.credit_code:
            errors["credit_code"] = _("A registered organisation gives its unified social credit code.")
        if self.group_type != GroupType.REGISTERED and self.member_count is not None and self.member_count < 3:
            errors["member_count"] = _("A resident group needs at least 3 organisers or 10 members.")
        if errors:
            raise ValidationError(errors)


class MemberRole(models.TextChoices):
    LEADER = "leader", _("Leader")
    MEMBER = "member", _("Member")


class GroupMembership(models.Model):
    group = models.ForeignKey(ResidentGroup, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_memberships")
    role = models.CharField(_("role"), max_length=10, choices=MemberRole.choices, default=MemberRole.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="membership_unique")]

    def __str__(self):
        return f"{self.user} @ {self.group}"


def _invitation_token() -> str:
    return secrets.token_urlsafe(32)


class GroupInvitation(models.Model):
    group = models.ForeignKey(ResidentGroup, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email"))
    token = models.CharField(max_length=64, unique=True, default=_invitation_token)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Cancelled by the group's leader before anyone accepted it: kept, with who and when.
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    INVITATION_DAYS = 14

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} → {self.group}"

    @property
    def expired(self) -> bool:
        return timezone.now() > self.created_at + timedelta(days=self.INVITATION_DAYS)

    @property
    def problem(self) -> str:
        """Why this invitation can no longer be accepted, or "" while it can."""
        if self.accepted_at is not None:
            return _("This invitation has already been used.")
        if self.cancelled_at is not None:
            return _("This invitation was cancelled by the group's leader.")
        if self.expired:
            return _("This invitation has expired; ask for a new one.")
        return ""


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


class ReviewerProfile(models.Model):
    """What a trustee reviewer declares once: the groups and people they are related to."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer_profile")
    related_groups = models.ManyToManyField(
        ResidentGroup,
        verbose_name=_("groups I am related to"),
        blank=True,
        related_name="related_reviewers",
        help_text=_("Groups you belong to, advise, or whose members are family or close colleagues."),
    )
    related_parties = models.TextField(_("other related parties"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return str(self.user)


class ReviewAssignment(models.Model):
    """A reviewer assigned to an application. Before it opens, the reviewer declares whether they
    have a conflict of interest; a conflict recuses them (recorded, and shown on the public notice)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="review_assignments")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_assignments")
    recused = models.BooleanField(_("recused"), default=False)
    declared_at = models.DateTimeField(_("declared at"), null=True, blank=True)
    conflict_note = models.CharField(_("conflict of interest"), max_length=300, blank=True)
    assigned_at = models.DateTimeField(auto_now_add=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Staff may judge a declared conflict to be none and put the reviewer back; the declaration
    # (conflict_note, declared_at) stays beside the reinstatement.
    reinstated_at = models.DateTimeField(_("reinstated at"), null=True, blank=True)
    reinstated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reinstate_reason = models.TextField(_("reason for reinstating"), blank=True)

    class Meta:
        ordering = ["assigned_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["application", "reviewer"], name="assignment_unique")]

    def __str__(self):
        return f"{self.reviewer} → {self.application}"


class Recommendation(models.TextChoices):
    FUND = "fund", _("Fund")
    FUND_WITH_CHANGES = "fund_with_changes", _("Fund with changes")
    DO_NOT_FUND = "do_not_fund", _("Do not fund")


class Review(models.Model):
    assignment = models.OneToOneField(ReviewAssignment, on_delete=models.CASCADE, related_name="review")
    recommendation = models.CharField(_("recommendation"), max_length=20, choices=Recommendation.choices)
    comment_for_staff = models.TextField(_("comments for fund staff"), blank=True)
    comment_for_group = models.TextField(_("comments for the group"), blank=True)
    weighted_total = models.DecimalField(_("weighted total"), max_digits=6, decimal_places=2, default=ZERO)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.assignment}: {self.weighted_total}"


class CriterionScore(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(CallCriterion, on_delete=models.PROTECT, related_name="scores")
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=2)
    comment = models.CharField(pgettext_lazy("explanation", "comment"), max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="score_unique"),
            models.CheckConstraint(name="score_not_negative", condition=Q(points__gte=0)),
        ]

    def __str__(self):
        return f"{self.criterion}: {self.points}"


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


class ObjectionDigest(models.Model):
    """One email to the fund's deciders listing the objections received since the last one; each
    objection is in one digest at most (`Objection.digest`)."""

    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("objection digest")
        verbose_name_plural = _("objection digests")

    def __str__(self):
        return f"#{self.pk} {self.sent_at:%Y-%m-%d %H:%M}"


class Objection(models.Model):
    """A written, signed objection to a proposed award. Who wrote it stays confidential.

    One per contact and notice: a later statement from the same contact (normalised, `contact_key`)
    is kept with it as an `ObjectionStatement`. It holds up the award only once its contact is
    confirmed: an email address by the link sent to it, a phone number by staff, who call it and
    check the code the objector was shown (`phone_code`)."""

    CONFIRM_SALT = "grants.objection.confirm"
    CONFIRM_MAX_AGE = 60 * 24 * 3600  # seconds; the notice it belongs to must still run, too

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="objections")
    name = models.CharField(_("your real name"), max_length=50)
    contact = models.CharField(_("phone or email"), max_length=100)
    contact_method = models.CharField(_("confirmed by"), max_length=10, choices=ContactMethod.choices, blank=True)
    contact_key = models.CharField(max_length=100, blank=True, db_index=True)
    # Which notice of the application it was filed during (an award may go on notice again).
    notice_starts_at = models.DateTimeField(null=True, blank=True)
    text = models.TextField(_("the objection"))
    status = models.CharField(
        _("status"), max_length=20, choices=ObjectionStatus.choices, default=ObjectionStatus.PENDING
    )
    confirmed_at = models.DateTimeField(_("contact confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    digest = models.ForeignKey(
        ObjectionDigest, null=True, blank=True, on_delete=models.PROTECT, related_name="objections"
    )
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "notice_starts_at", "contact_key"],
                condition=~Q(contact_key=""),
                name="objection_one_per_contact_and_notice",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} → {self.application}"

    @property
    def awaits_phone_check(self) -> bool:
        return self.status == ObjectionStatus.PENDING and self.contact_method == ContactMethod.PHONE

    def confirm_token(self) -> str:
        """The signed token in the link emailed to the objector."""
        return signing.dumps([self.pk, self.contact_key], salt=self.CONFIRM_SALT)

    @classmethod
    def for_token(cls, token: str) -> Objection | None:
        try:
            pk, key = signing.loads(str(token)[:400], salt=cls.CONFIRM_SALT, max_age=cls.CONFIRM_MAX_AGE)
        except (signing.BadSignature, ValueError, TypeError):
            return None
        return cls.objects.select_related("application").filter(pk=pk, contact_key=key).first()

    def phone_code(self) -> str:
        """The six digits the objector is shown and reads out when staff call. Derived with the
        site's secret, so it is never stored and the same contact sees the same code again."""
        digest = salted_hmac("grants.objection.phone", f"{self.pk}:{self.contact_key}").hexdigest()
        return f"{int(digest, 16) % 1_000_000:06d}"


class ObjectionStatement(models.Model):
    """A later statement from the same contact on the same notice, kept with the first objection."""

    objection = models.ForeignKey(Objection, on_delete=models.PROTECT, related_name="statements")
    name = models.CharField(_("name given"), max_length=50)
    text = models.TextField(_("statement"))
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("further statement")
        verbose_name_plural = _("further statements")

    def __str__(self):
        return f"#{self.objection_id}: {self.created_at:%Y-%m-%d %H:%M}"


class Agreement(models.Model):
    """The grant agreement as signed: its terms frozen, with their hash."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="agreement")
    number = models.CharField(_("agreement number"), max_length=40, unique=True)
    terms = models.JSONField(_("terms"))
    content_hash = models.CharField(_("content hash (SHA-256)"), max_length=64)
    signed_on = models.DateField(_("signed on"))
    # The document as rendered once, right after signing, and served unchanged ever after.
    pdf = models.FileField(
        _("agreement (PDF)"), upload_to="grants/agreements/%Y/", storage=_private_storage, blank=True
    )
    pdf_sha256 = models.CharField(_("PDF hash (SHA-256)"), max_length=64, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("grant agreement")
        verbose_name_plural = _("grant agreements")

    def __str__(self):
        return self.number


class TrancheStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DUE = "due", _("Due")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


class Tranche(models.Model):
    """One instalment of an award, from the call's plan, paid through the fund pool."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="tranches")
    number = models.PositiveSmallIntegerField()
    share = models.DecimalField(_("share (%)"), max_digits=5, decimal_places=2)
    amount = models.DecimalField(_("amount"), **MONEY)
    trigger = models.CharField(_("paid when"), max_length=10, choices=TrancheTrigger.choices)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=TrancheStatus.choices, default=TrancheStatus.PLANNED)
    payment_reference = models.CharField(_("payment reference"), max_length=100, null=True, blank=True, unique=True)
    # What was paid: the planned amount, or less for a final tranche when the group spent less.
    paid_amount = models.DecimalField(_("amount paid"), null=True, blank=True, **MONEY)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application", "number"]
        constraints = [
            models.UniqueConstraint(fields=["application", "number"], name="tranche_unique_number"),
            models.CheckConstraint(name="tranche_amount_positive", condition=Q(amount__gt=0)),
        ]

    def __str__(self):
        return f"{self.application} #{self.number}: {self.amount}"


from .delivery import (  # noqa: E402,F401  (the delivery models, re-exported)
    CHARGED,
    Activity,
    Expense,
    ExpenseStatus,
    Feedback,
    FeedbackStatus,
    Outcome,
    ProjectPhoto,
    ProjectReport,
    Recovery,
    RecoveryStatus,
    ReminderSent,
    ReportKind,
    ReportStatus,
)
