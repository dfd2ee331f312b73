"""Review: reviewers assigned (by hand or balanced), conflicts declared and recusals, reinstatement by staff, scores saved and handed in; the review closes when the last is in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import audit
from core.roles import role_name
from grants import lifecycle, notify, review_rules, system_reasons
from grants.common import MAX_TEXT, GrantsError, acting_user
from grants.models import (
    Application,
    Call,
    Review,
    ReviewAssignment,
    ReviewerProfile,
)
from grants.transitions import application_transition

REVIEWER_ROLE = role_name("reviewer")


def _standing_conflict(*, reviewer, application: Application) -> str:
    """A relation on record that no judgement of staff can set aside: membership of the applying
    group, or the group named in the reviewer's own list of related parties."""
    if application.group.memberships.filter(user=reviewer).exists():
        return str(_("member of the applying group"))
    profile = ReviewerProfile.objects.filter(user=reviewer).first()
    if profile and profile.related_groups.filter(pk=application.group_id).exists():
        return str(_("declared as a related party"))
    return ""


def conflict_reason(*, reviewer, application: Application) -> str:
    """Why a reviewer may not review this application, or "" if nothing known stands in the way."""
    standing = _standing_conflict(reviewer=reviewer, application=application)
    if standing:
        return standing
    if ReviewAssignment.objects.filter(
        reviewer=reviewer, recused=True, application__group_id=application.group_id
    ).exists():
        return str(_("declared a conflict with this group before"))
    return ""


@transaction.atomic
def reviewer_profile_update(*, user, related_groups, related_parties: str = "") -> ReviewerProfile:
    profile, _created = ReviewerProfile.objects.get_or_create(user=user)
    profile.related_parties = (related_parties or "").strip()[:MAX_TEXT]
    profile.save()
    profile.related_groups.set(related_groups)
    # Declaring a relation after being assigned recuses at once.
    for assignment in ReviewAssignment.objects.filter(
        reviewer=user, recused=False, application__group__in=list(related_groups)
    ):
        _recuse(assignment, system_reasons.encode("grants.related_party"), by=user)
    return profile


def _recuse(assignment: ReviewAssignment, note: str, *, by) -> None:
    assignment.recused = True
    assignment.conflict_note = note[:300]
    assignment.declared_at = assignment.declared_at or timezone.now()
    assignment.save(update_fields=["recused", "conflict_note", "declared_at"])
    Review.objects.filter(assignment=assignment).delete()
    audit.record(
        assignment.application,
        "grants.review_recuse",
        by=by,
        reviewer=assignment.reviewer.get_username(),
        note=assignment.conflict_note,
    )


REINSTATE_STATES = (lifecycle.Status.SUBMITTED, lifecycle.Status.IN_REVIEW)


@transaction.atomic
def review_reinstate(*, assignment: ReviewAssignment, actor, reason: str) -> ReviewAssignment:
    """Staff judge a declared conflict to be none and put the reviewer back on the application,
    saying why. The declaration stays on record beside the reinstatement; a relation that stands
    on record (membership, the reviewer's own list of related groups) cannot be set aside."""
    if not (actor and actor.has_perm("grants.screen_application")):
        raise GrantsError(_("You may not reinstate reviewers."))
    # The application first, as assigning and closing the review lock it: a review cannot close
    # while a reviewer is being put back on it.
    application = Application.objects.select_for_update().select_related("group").get(pk=assignment.application_id)
    assignment = ReviewAssignment.objects.select_for_update().select_related("reviewer").get(pk=assignment.pk)
    if not assignment.recused:
        raise GrantsError(_("This reviewer is not recused."))
    if application.status not in REINSTATE_STATES:
        raise GrantsError(_("Reviewers are reinstated only while an application is screened or in review."))
    reason = (reason or "").strip()
    if not reason:
        raise GrantsError(_("Give the reason for reinstating; the reviewer sees it and it stays on record."))
    standing = _standing_conflict(reviewer=assignment.reviewer, application=application)
    if standing:
        raise GrantsError(
            _("%(user)s cannot be reinstated: %(reason)s.")
            % {"user": assignment.reviewer.get_username(), "reason": standing}
        )
    assignment.recused = False
    assignment.reinstated_at = timezone.now()
    assignment.reinstated_by = acting_user(actor)
    assignment.reinstate_reason = reason[:MAX_TEXT]
    assignment.save(update_fields=["recused", "reinstated_at", "reinstated_by", "reinstate_reason"])
    audit.record(
        application,
        "grants.review_reinstate",
        by=actor,
        reviewer=assignment.reviewer.get_username(),
        note=assignment.conflict_note,
        reason=assignment.reinstate_reason,
    )
    transaction.on_commit(lambda: notify.reviewer_reinstated(assignment))
    return assignment


def _due_on(call: Call, due_on=None):
    """When a new assignment's review is due: the date staff gave, else the call's review period from today."""
    today = timezone.localdate()
    if due_on is None:
        return today + timedelta(days=call.review_days)
    if due_on < today:
        raise GrantsError(_("The due date %(date)s is in the past.") % {"date": due_on.isoformat()})
    return due_on


@transaction.atomic
def review_assign(*, application: Application, reviewers, actor, due_on=None) -> list:
    """Staff assign trustee reviewers, each due by the call's review period (or the date staff
    give), and each is emailed. A conflicted reviewer is never assigned."""
    if not (actor and actor.has_perm("grants.screen_application")):
        raise GrantsError(_("You may not assign reviewers."))
    due_on = _due_on(application.call, due_on)
    application = Application.objects.select_for_update().select_related("group").get(pk=application.pk)
    if application.status not in (lifecycle.Status.SUBMITTED, lifecycle.Status.IN_REVIEW):
        raise GrantsError(_("Reviewers are assigned while an application is screened or in review."))
    made = []
    for reviewer in reviewers:
        if not reviewer.groups.filter(name=REVIEWER_ROLE).exists():
            raise GrantsError(_("%(user)s is not a reviewer.") % {"user": reviewer.get_username()})
        reason = conflict_reason(reviewer=reviewer, application=application)
        if reason:
            raise GrantsError(
                _("%(user)s has a conflict of interest (%(reason)s) and cannot review it.")
                % {"user": reviewer.get_username(), "reason": reason}
            )
        assignment, created = ReviewAssignment.objects.get_or_create(
            application=application, reviewer=reviewer, defaults={"assigned_by": acting_user(actor), "due_on": due_on}
        )
        if created:
            made.append(assignment)
    if made:
        audit.record(application, "grants.review_assign", by=actor, reviewers=[a.reviewer.get_username() for a in made])
        transaction.on_commit(lambda: [notify.reviewer_assigned(a) for a in made])
    return made


@transaction.atomic
def review_due_change(*, assignment: ReviewAssignment, actor, due_on) -> ReviewAssignment:
    """Staff give one assignment another due date (the call's period is only the default)."""
    if not (actor and actor.has_perm("grants.screen_application")):
        raise GrantsError(_("You may not change review dates."))
    if due_on is None:
        raise GrantsError(_("Give a new due date."))
    assignment = ReviewAssignment.objects.select_for_update().select_related("application__call").get(pk=assignment.pk)
    before = assignment.due_on
    assignment.due_on = _due_on(assignment.application.call, due_on)
    assignment.save(update_fields=["due_on"])
    audit.record(
        assignment.application,
        "grants.review_due",
        by=actor,
        reviewer=assignment.reviewer.get_username(),
        before=before,
        after=assignment.due_on,
    )
    return assignment


@transaction.atomic
def review_autoassign(*, call: Call, actor) -> int:
    """Give every submitted application of the call the reviewers it still needs, choosing the
    least loaded reviewers without a conflict. Returns how many assignments were made."""
    from django.contrib.auth import get_user_model

    if not (actor and actor.has_perm("grants.screen_application")):
        raise GrantsError(_("You may not assign reviewers."))
    pool = list(get_user_model().objects.filter(groups__name=REVIEWER_ROLE, is_active=True).order_by("pk").distinct())
    if not pool:
        raise GrantsError(_("There are no reviewers yet: give some people the reviewer role first."))
    load = {r.pk: 0 for r in pool}
    for reviewer_id in ReviewAssignment.objects.filter(application__call=call, recused=False).values_list(
        "reviewer_id", flat=True
    ):
        if reviewer_id in load:
            load[reviewer_id] += 1
    made = 0
    made_now = []
    due_on = _due_on(call)
    short = []
    applications = call.applications.filter(status=lifecycle.Status.SUBMITTED).select_related("group").order_by("pk")
    for application in applications:
        assigned = set(application.review_assignments.values_list("reviewer_id", flat=True))
        active = application.review_assignments.filter(recused=False).count()
        candidates = [
            r for r in pool if r.pk not in assigned and not conflict_reason(reviewer=r, application=application)
        ]
        candidates.sort(key=lambda r: (load[r.pk], r.pk))
        for reviewer in candidates[: max(call.reviewers_per_application - active, 0)]:
            made_now.append(
                ReviewAssignment.objects.create(
                    application=application, reviewer=reviewer, assigned_by=acting_user(actor), due_on=due_on
                )
            )
            load[reviewer.pk] += 1
            made += 1
            active += 1
        if active < call.reviewers_per_application:
            short.append(application.title)
    if short:
        raise GrantsError(
            _("Not enough reviewers without a conflict for: %(titles)s. Nothing was assigned.")
            % {"titles": "、".join(short[:5])}
        )
    transaction.on_commit(lambda: [notify.reviewer_assigned(a) for a in made_now])
    return made


def _assignment_for(*, user, pk) -> ReviewAssignment:
    """The reviewer's own assignment, locked; someone else's is "no such review" (nothing is said of it)."""
    try:
        return (
            ReviewAssignment.objects.select_for_update()
            .select_related("application__call", "application__group")
            .get(pk=pk, reviewer=user)
        )
    except (ReviewAssignment.DoesNotExist, ValueError, TypeError):
        raise GrantsError(_("No such review.")) from None


@transaction.atomic
def review_declare(*, assignment: ReviewAssignment, user, conflict: bool, note: str = "") -> ReviewAssignment:
    """Before the application opens, the reviewer says whether they have a conflict of interest."""
    assignment = _assignment_for(user=user, pk=assignment.pk)
    if assignment.declared_at:
        raise GrantsError(_("You have already declared for this application."))
    note = (note or "").strip()
    if conflict and not note:
        # Staff read it to judge the conflict, and may reinstate a reviewer whose relation is none.
        raise GrantsError(_("Say what the relation is, so staff can judge the conflict."))
    if conflict:
        _recuse(assignment, note, by=user)
    else:
        assignment.declared_at = timezone.now()
        assignment.save(update_fields=["declared_at"])
    return assignment


@dataclass
class ScoreInput:
    criterion_id: int
    points: Decimal | None
    comment: str = ""


@transaction.atomic
def review_save(
    *,
    assignment: ReviewAssignment,
    user,
    scores: list[ScoreInput],
    recommendation: str,
    comment_for_staff: str = "",
    comment_for_group: str = "",
    submit: bool = False,
) -> Review:
    """Save (and, when `submit`, hand in) a review. Editable until the review closes. When the last
    assigned review is in, the review closes by itself."""
    from grants.models import CriterionScore, Recommendation

    assignment = _assignment_for(user=user, pk=assignment.pk)
    application = assignment.application
    if assignment.recused:
        raise GrantsError(_("You declared a conflict of interest on this application."))
    if not assignment.declared_at:
        raise GrantsError(_("Declare any conflict of interest before reviewing."))
    if application.status != lifecycle.Status.IN_REVIEW:
        raise GrantsError(_("This application is not in review; reviews can no longer be changed."))
    criteria = {c.pk: c for c in application.call.criteria.all()}
    given = {s.criterion_id: s for s in scores if s.criterion_id in criteria}
    errors = []
    for criterion in criteria.values():
        score = given.get(criterion.pk)
        if score is None or score.points is None:
            if submit:
                errors.append(_("Score “%(name)s”.") % {"name": criterion.name})
            continue
        if score.points < 0 or score.points > criterion.max_points:
            errors.append(
                _("“%(name)s” is scored from 0 to %(max)s.") % {"name": criterion.name, "max": criterion.max_points}
            )
    if recommendation not in Recommendation.values:
        if submit:
            errors.append(_("Choose a recommendation."))
        recommendation = ""
    if errors:
        raise GrantsError(*errors)
    review, _created = Review.objects.get_or_create(
        assignment=assignment, defaults={"recommendation": recommendation or Recommendation.FUND_WITH_CHANGES}
    )
    if recommendation:
        review.recommendation = recommendation
    review.comment_for_staff = comment_for_staff.strip()[:MAX_TEXT]
    review.comment_for_group = comment_for_group.strip()[:MAX_TEXT]
    for criterion_id, score in given.items():
        if score.points is None:
            continue
        CriterionScore.objects.update_or_create(
            review=review,
            criterion_id=criterion_id,
            defaults={"points": score.points, "comment": score.comment.strip()[:500]},
        )
    review.weighted_total = weighted_total(review, criteria)
    if submit:
        review.submitted_at = review.submitted_at or timezone.now()
    review.save()
    if submit:
        _close_review_when_complete(application)
    return review


def weighted_total(review: Review, criteria: dict) -> Decimal:
    """Points scaled to each criterion's weight: a full score on every criterion makes 100."""
    total = Decimal(0)
    for score in review.scores.all():
        criterion = criteria[score.criterion_id]
        total += score.points / criterion.max_points * criterion.weight
    return total.quantize(Decimal("0.01"))


def _close_review_when_complete(application: Application) -> None:
    """Close the review once every active reviewer has handed in, unless their totals disagree
    beyond the call's threshold: then it stays open for staff to read and close themselves."""
    # Locked, as reinstating a reviewer locks it: the review does not close while one is put back.
    application = Application.objects.select_for_update().select_related("call").get(pk=application.pk)
    active = application.review_assignments.filter(recused=False)
    if not active.exists() or active.filter(Q(review__isnull=True) | Q(review__submitted_at__isnull=True)).exists():
        return
    totals = list(active.values_list("review__weighted_total", flat=True))
    if review_rules.reviewers_disagree(totals, application.call.disagreement_threshold):
        return
    application_transition(
        application=application,
        name="close_review",
        user=None,
        system=True,
        reason=system_reasons.encode("grants.reviews_in"),
    )
