"""Where the fund works (sub-districts, communities), the priority problems, and calls with their rubric and tranche plan."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

from fundpool.models import MONEY, Theme
from grants.models.common import ZERO, GroupType, Track, TrancheTrigger


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
    notice_names_reviewers = models.BooleanField(
        _("the public notice names the reviewers"),
        default=True,
        help_text=_("Name the reviewers, and those who recused, on the public notice (as 福田's 公示 does)."),
    )
    review_days = models.PositiveSmallIntegerField(
        _("days for a review"),
        default=14,
        validators=[MinValueValidator(1)],
        help_text=_("Each assignment is due this many days after it is made."),
    )
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

    def accepts_group(self, group) -> bool:
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


class CallCheck(Orderable):
    """An eligibility item staff add to a call's checklist by hand; each application's screening
    ticks it, with a note (`EligibilityTick`). The computed items are in grants/applications/eligibility.py."""

    call = ParentalKey(Call, on_delete=models.CASCADE, related_name="checks")
    label = models.CharField(_("what staff check"), max_length=200)

    class Meta(Orderable.Meta):
        verbose_name = _("eligibility item checked by hand")
        verbose_name_plural = _("eligibility items checked by hand")

    def __str__(self):
        return self.label
