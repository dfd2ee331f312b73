"""Reviewers, their assignments, reviews and criterion scores."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from grants.models.applications import Application
from grants.models.calls import CallCriterion
from grants.models.common import ZERO, Recommendation
from grants.models.groups import ResidentGroup


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
    # When the review is due: the call's review period from assignment, unless staff set another.
    due_on = models.DateField(_("review due by"), null=True, blank=True)
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
