"""Review results: raw and normalised scores, tiers, disagreement, the funding suggestion; reviewers' own assignments."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from core.roles import role_name
from fundpool.ledger.selectors import pool_summary
from grants import lifecycle, review_rules
from grants.lifecycle import Status
from grants.models import (
    Application,
    Call,
)


def reviewer_candidates(*, application: Application):
    """Trustee reviewers who are not in the applying group and not yet assigned."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(groups__name=role_name("reviewer"), is_active=True)
        .exclude(group_memberships__group=application.group)
        .exclude(review_assignments__application=application)
        .order_by("username")
        .distinct()
    )


def reviewer_pool():
    """Every active trustee reviewer (the service refuses those with a conflict, application by application)."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(groups__name=role_name("reviewer"), is_active=True)
        .order_by("username")
        .distinct()
    )


RESULT_STATES = [
    Status.IN_REVIEW,
    Status.REVIEWED,
    Status.ON_NOTICE,
    Status.AWARDED,
    Status.IN_DELIVERY,
    Status.REPORTING,
    Status.COMPLETED,
    Status.DECLINED,
    Status.TERMINATED,
]


TIERS = [(Decimal("80"), "A"), (Decimal("70"), "B"), (Decimal("60"), "C"), (Decimal("0"), "D")]


def _mean(values):
    return sum(values, Decimal(0)) / len(values) if values else None


def _sd(values):
    """Population standard deviation (the panel is everyone who scored, not a sample)."""
    if len(values) < 2:
        return Decimal(0)
    m = _mean(values)
    return (sum(((v - m) ** 2 for v in values), Decimal(0)) / len(values)).sqrt()


@dataclass
class ReviewerScore:
    reviewer_id: int
    reviewer_name: str
    raw: Decimal
    normalised: Decimal
    recommendation: str


@dataclass
class ResultRow:
    application: Application
    scores: list
    recused: list
    raw_mean: Decimal | None
    normalised_mean: Decimal | None
    spread: Decimal
    disagreement: bool
    tier: str
    rank: int = 0
    suggested: bool = False
    suggestion_note: str = ""
    # Every active review is in, but the reviewers disagree: the review waits for staff to close it.
    held: bool = False
    # Reviewed, but the reviewers disagree: the suggestion leaves the decision to staff.
    undecided: bool = False


def normalise(totals_by_reviewer: dict[int, dict[int, Decimal]]) -> dict[tuple[int, int], Decimal]:
    """Each reviewer's totals as z-scores within that reviewer, rescaled to the whole panel's mean
    and spread: a harsh and a generous reviewer end up on the same scale. A reviewer with fewer
    than two reviews, or who gave every application the same total, keeps the raw total."""
    everything = [t for per in totals_by_reviewer.values() for t in per.values()]
    panel_mean, panel_sd = _mean(everything), _sd(everything)
    out = {}
    for reviewer, per in totals_by_reviewer.items():
        values = list(per.values())
        m, sd = _mean(values), _sd(values)
        for application_id, total in per.items():
            if len(values) < 2 or sd == 0:
                out[(reviewer, application_id)] = total
            else:
                out[(reviewer, application_id)] = (panel_mean + (total - m) / sd * panel_sd).quantize(Decimal("0.01"))
    return out


def call_results(*, call: Call) -> list[ResultRow]:
    """Weighted totals, means, normalised scores, disagreement, ranking and tiers for a call, in a
    fixed number of queries however many applications and reviewers it has."""
    from grants.models import ReviewAssignment

    applications = list(
        Application.objects.filter(call=call, status__in=RESULT_STATES)
        .select_related("group__community", "problem__theme")
        .order_by("pk")
    )
    assignments = list(
        ReviewAssignment.objects.filter(application__call=call, application__status__in=RESULT_STATES)
        .select_related("reviewer", "review")
        .order_by("pk")
    )
    totals: dict[int, dict[int, Decimal]] = {}
    by_application: dict[int, list] = {}
    recused: dict[int, list] = {}
    outstanding: set[int] = set()  # applications with an active review not handed in
    for a in assignments:
        review = getattr(a, "review", None)
        if a.recused:
            recused.setdefault(a.application_id, []).append(a.reviewer.get_full_name() or a.reviewer.username)
        elif review is not None and review.submitted_at:
            totals.setdefault(a.reviewer_id, {})[a.application_id] = review.weighted_total
            by_application.setdefault(a.application_id, []).append(a)
        else:
            outstanding.add(a.application_id)
    normalised = normalise(totals)
    rows = []
    for application in applications:
        scores = [
            ReviewerScore(
                reviewer_id=a.reviewer_id,
                reviewer_name=a.reviewer.get_full_name() or a.reviewer.username,
                raw=a.review.weighted_total,
                normalised=normalised[(a.reviewer_id, application.pk)],
                recommendation=a.review.recommendation,
            )
            for a in by_application.get(application.pk, [])
        ]
        raws = [s.raw for s in scores]
        norm = [s.normalised for s in scores]
        raw_mean = _mean(raws)
        norm_mean = _mean(norm)
        disagreement = review_rules.reviewers_disagree(raws, call.disagreement_threshold)
        tier = next((t for bound, t in TIERS if norm_mean is not None and norm_mean >= bound), "—")
        rows.append(
            ResultRow(
                application=application,
                scores=scores,
                recused=recused.get(application.pk, []),
                raw_mean=raw_mean.quantize(Decimal("0.01")) if raw_mean is not None else None,
                normalised_mean=norm_mean.quantize(Decimal("0.01")) if norm_mean is not None else None,
                spread=review_rules.score_spread(raws),
                disagreement=disagreement,
                tier=tier,
                held=disagreement and application.status == Status.IN_REVIEW and application.pk not in outstanding,
            )
        )
    rows.sort(
        key=lambda r: (r.normalised_mean is None, -(r.normalised_mean or 0), -(r.raw_mean or 0), r.application.pk)
    )
    for i, row in enumerate(rows, start=1):
        row.rank = i
    _suggest(call, rows)
    return rows


def call_awarded_total(*, call: Call) -> Decimal:
    return Application.objects.filter(call=call, status__in=lifecycle.HOLDING_MONEY + [Status.COMPLETED]).aggregate(
        total=Sum("awarded_amount")
    )["total"] or Decimal("0.00")


def _money_for_purposes(call: Call) -> dict:
    """What the pool holds now, per restriction bucket (from the ledger's cached balances)."""
    buckets = {}
    for row in pool_summary()["by_restriction"]:
        buckets[(row["kind"], row["theme"], row["call"])] = row["available"]
    return buckets


def _suggest(call: Call, rows: list[ResultRow]) -> None:
    """Fund down the ranking: each reviewed application at its request while the call's budget and
    the money its purpose may use (theme- and call-restricted first, then unrestricted) last."""
    budget_left = call.budget - call_awarded_total(call=call)
    buckets = _money_for_purposes(call)
    for row in rows:
        application = row.application
        if row.held:
            row.suggestion_note = _("review held open: the reviewers differ by %(spread)s points; staff close it") % {
                "spread": row.spread
            }
            continue
        if application.status != Status.REVIEWED:
            row.suggestion_note = "—"  # decided already, or not yet reviewed: the status column says which
            continue
        if row.normalised_mean is None:
            row.suggestion_note = _("no submitted reviews")
            continue
        if row.disagreement:
            # Neither "fund" nor "do not fund", and no share of the budget: staff weigh the reviews.
            row.undecided = True
            row.suggestion_note = _("staff to decide: the reviewers differ by %(spread)s points") % {
                "spread": row.spread
            }
            continue
        need = application.requested_amount
        if need > budget_left:
            row.suggestion_note = _("beyond the call's budget")
            continue
        theme = application.problem.theme.code if application.problem_id else None
        keys = [
            k
            for k in (("call", None, call.reference), ("theme", theme, None))
            if k in buckets and k[1:] != (None, None)
        ]
        keys.append(("unrestricted", None, None))
        usable = sum((buckets.get(k, Decimal(0)) for k in keys), Decimal(0))
        if need > usable:
            row.suggestion_note = _("not enough money for its theme in the pool")
            continue
        left = need
        for key in keys:
            take = min(buckets.get(key, Decimal(0)), left)
            if key in buckets:
                buckets[key] -= take
            left -= take
        budget_left -= need
        row.suggested = True
        row.suggestion_note = _("within budget and available money")


@dataclass
class Suggestion:
    funded: bool
    note: str
    undecided: bool = False  # the reviewers disagree: staff decide, the ranking does not


def call_suggestion(*, call: Call) -> dict[int, Suggestion]:
    return {
        row.application.pk: Suggestion(row.suggested, str(row.suggestion_note), row.undecided)
        for row in call_results(call=call)
    }


@dataclass
class ReviewHold:
    spread: Decimal
    threshold: Decimal


def review_hold(*, application: Application) -> ReviewHold | None:
    """Why a review with every active review in has not closed by itself (the reviewers disagree
    beyond the call's threshold), or None when it is not held."""
    if application.status != Status.IN_REVIEW:
        return None
    active = list(
        application.review_assignments.filter(recused=False).values_list(
            "review__weighted_total", "review__submitted_at"
        )
    )
    if not active or any(submitted is None for _total, submitted in active):
        return None
    totals = [total for total, _submitted in active]
    threshold = application.call.disagreement_threshold
    if not review_rules.reviewers_disagree(totals, threshold):
        return None
    return ReviewHold(spread=review_rules.score_spread(totals), threshold=threshold)


def assignments_for_reviewer(*, user):
    """A reviewer's assignments, recused ones included: the reviewer sees that they recused, and why."""
    from grants.models import ReviewAssignment

    return (
        ReviewAssignment.objects.filter(reviewer=user)
        .select_related("application__call", "application__group", "review")
        .order_by(F("due_on").asc(nulls_last=True), "application__call__closes_at", "pk")
    )


def assignment_for_reviewer(*, user, pk):
    """An assignment of this reviewer's (recused or not: the caller keeps a recused reviewer out of
    the application); 404 for anyone else's."""
    from grants.models import ReviewAssignment

    try:
        return (
            ReviewAssignment.objects.select_related(
                "application__call", "application__group__community", "application__problem__theme", "review"
            )
            .prefetch_related(
                "application__budget_lines",
                "application__milestones",
                "application__attachments",
                "application__call__criteria",
                "review__scores",
            )
            .get(pk=pk, reviewer=user)
        )
    except (ReviewAssignment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@dataclass
class ReviewerLoad:
    reviewer: object
    assigned: int
    handed_in: int
    overdue: int
    next_due: object


def reviewer_load(*, call) -> list[ReviewerLoad]:
    """Each reviewer's load in a call (assignments not recused), what they handed in, and what is overdue."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count, Min
    from django.utils import timezone

    from grants.models import ReviewAssignment

    today = timezone.localdate()
    rows = (
        ReviewAssignment.objects.filter(application__call=call, recused=False)
        .values("reviewer")
        .annotate(
            assigned=Count("pk"),
            handed_in=Count("pk", filter=Q(review__submitted_at__isnull=False)),
            overdue=Count("pk", filter=Q(due_on__lt=today, review__submitted_at__isnull=True)),
            next_due=Min("due_on", filter=Q(review__submitted_at__isnull=True)),
        )
        .order_by("-overdue", "-assigned", "reviewer")
    )
    people = get_user_model().objects.in_bulk([r["reviewer"] for r in rows])
    return [
        ReviewerLoad(people[r["reviewer"]], r["assigned"], r["handed_in"], r["overdue"], r["next_due"]) for r in rows
    ]


def conflict_register(*, call):
    """Every declared conflict and recusal in a call, with its reason and what staff did about it
    (reinstatement, with its reason), oldest first."""
    from grants.models import ReviewAssignment

    return (
        ReviewAssignment.objects.filter(application__call=call)
        .filter(Q(recused=True) | ~Q(conflict_note="") | Q(reinstated_at__isnull=False))
        .select_related("reviewer", "application__group", "reinstated_by")
        .order_by("declared_at", "pk")
    )
