"""Reads for grants: what a person may see, lists with their filters, timelines, next steps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm_log.models import StateLog

from fundpool.money import format_amount

from . import lifecycle, review_rules, system_reasons
from .lifecycle import Status
from .models import (
    Application,
    ApplicationAttachment,
    Call,
    GroupInvitation,
    GroupMembership,
    ResidentGroup,
)


def is_staff_user(user) -> bool:
    return bool(user.is_authenticated and user.has_perm("grants.view_application"))


# --- groups -----------------------------------------------------------------------------------


def group_list_for_user(*, user) -> QuerySet[ResidentGroup]:
    return (
        ResidentGroup.objects.filter(memberships__user=user)
        .select_related("community")
        .annotate(application_count=Count("applications", distinct=True))
        .order_by("name")
    )


def group_for_member(*, user, pk) -> ResidentGroup:
    """The group if `user` belongs to it; 404 otherwise (no hint that it exists)."""
    try:
        return ResidentGroup.objects.select_related("community").get(pk=pk, memberships__user=user)
    except (ResidentGroup.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def group_for_member_or_staff(*, user, pk) -> ResidentGroup:
    qs = ResidentGroup.objects.all()
    if not user.has_perm("grants.view_residentgroup"):
        qs = qs.filter(memberships__user=user)
    try:
        return qs.distinct().get(pk=pk)
    except (ResidentGroup.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def group_members(*, group) -> QuerySet[GroupMembership]:
    return group.memberships.select_related("user").order_by("-role", "joined_at")


def group_pending_invitations(*, group) -> QuerySet[GroupInvitation]:
    """Invitations still waiting: not accepted, not cancelled, not expired; newest first."""
    fresh_since = timezone.now() - timedelta(days=GroupInvitation.INVITATION_DAYS)
    return (
        group.invitations.filter(accepted_at__isnull=True, cancelled_at__isnull=True, created_at__gte=fresh_since)
        .select_related("invited_by")
        .order_by("-created_at", "-pk")
    )


def invitation_for_token(*, token: str) -> GroupInvitation | None:
    """The invitation a join link names, or None for a link that names none."""
    if "\x00" in token:  # no token has one, and PostgreSQL refuses to compare with it
        return None
    return GroupInvitation.objects.select_related("group__community", "invited_by").filter(token=token).first()


def invitation_for_member(*, user, pk) -> GroupInvitation:
    """An invitation of a group `user` belongs to; 404 otherwise."""
    try:
        return GroupInvitation.objects.select_related("group").get(pk=pk, group__memberships__user=user)
    except (GroupInvitation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- calls ------------------------------------------------------------------------------------


def call_list_open(*, at: datetime | None = None) -> QuerySet[Call]:
    at = at or timezone.now()
    return (
        Call.objects.filter(published=True, opens_at__lte=at, closes_at__gt=at)
        .prefetch_related("problems__theme", "communities")
        .order_by("closes_at")
    )


def call_list_for_staff() -> QuerySet[Call]:
    return Call.objects.annotate(
        application_count=Count("applications", filter=~Q(applications__status=Status.DRAFT))
    ).order_by("-opens_at")


# --- applications -----------------------------------------------------------------------------


def application_list_for_user(*, user) -> QuerySet[Application]:
    return (
        Application.objects.filter(group__memberships__user=user)
        .select_related("call", "group")
        .order_by("-updated_at")
    )


def application_for_member(*, user, pk) -> Application:
    """The application if `user` is a member of its group; 404 otherwise."""
    try:
        return (
            Application.objects.select_related("call", "group__community", "problem__theme")
            .prefetch_related("budget_lines", "milestones", "attachments")
            .get(pk=pk, group__memberships__user=user)
        )
    except (Application.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def application_for_staff(*, pk) -> Application:
    try:
        return (
            Application.objects.select_related("call", "group__community", "problem__theme")
            .prefetch_related("budget_lines", "milestones", "attachments")
            .get(pk=pk)
        )
    except (Application.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def attachment_for(*, user, pk) -> ApplicationAttachment:
    """An attachment for a member of the applying group or for staff; 404 for anyone else."""
    qs = ApplicationAttachment.objects.select_related("application")
    if not is_staff_user(user):
        qs = qs.filter(application__group__memberships__user=user)
    try:
        return qs.get(pk=pk)
    except (ApplicationAttachment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@dataclass
class StaffFilters:
    status: str = ""
    theme: str = ""
    community: str = ""
    track: str = ""
    q: str = ""


def _same_group(application: Application) -> QuerySet[Application]:
    """The group's other applications to the same call that still count (not set aside)."""
    return (
        Application.objects.filter(call_id=application.call_id, group_id=application.group_id)
        .exclude(pk=application.pk)
        .exclude(status__in=lifecycle.SET_ASIDE)
    )


def same_group_applications(*, application: Application) -> QuerySet[Application]:
    """For screening: the group's other applications in this call that staff can see (not
    drafts, not set aside), so one group is not funded twice without anyone noticing."""
    return _same_group(application).exclude(status=Status.DRAFT).order_by("pk")


def application_list_for_call(*, call: Call, filters: StaffFilters) -> QuerySet[Application]:
    """Applications to a call as staff see them (drafts are the group's own business), each with
    `same_group_count`: the group's other applications in the call (not drafts, not set aside)."""
    others = (
        Application.objects.filter(call=OuterRef("call"), group=OuterRef("group"))
        .exclude(pk=OuterRef("pk"))
        .exclude(status__in=[Status.DRAFT, *lifecycle.SET_ASIDE])
        .order_by()
        .values("group")
        .annotate(n=Count("pk"))
        .values("n")
    )
    qs = (
        Application.objects.filter(call=call)
        .exclude(status=Status.DRAFT)
        .select_related("group__community", "problem__theme", "call")
        .annotate(same_group_count=Coalesce(Subquery(others), 0))
        .order_by("submitted_at", "pk")
    )
    if filters.status in lifecycle.STATE:
        qs = qs.filter(status=filters.status)
    if filters.theme:
        qs = qs.filter(problem__theme__code=filters.theme)
    if filters.community:
        qs = qs.filter(group__community__code=filters.community)
    if filters.track == "registered":
        qs = qs.filter(group__group_type="registered")
    elif filters.track == "filed":
        qs = qs.exclude(group__group_type="registered")
    if filters.q:
        qs = qs.filter(Q(title__icontains=filters.q) | Q(group__name__icontains=filters.q))
    return qs


def application_status_counts(*, call: Call) -> dict[str, int]:
    rows = Application.objects.filter(call=call).values("status").annotate(n=Count("pk")).order_by()
    return {r["status"]: r["n"] for r in rows}


@dataclass
class TimelineEvent:
    at: datetime
    status: str
    label: str
    reason: str
    by_staff: bool
    # The reason is a note for fund staff only (lifecycle.TransitionInfo.reason_audience).
    internal: bool = False


def application_timeline(*, application: Application, for_applicant: bool) -> list[TimelineEvent]:
    """The status history from the lifecycle log. Applicants see their own wording, and no names
    of staff; of the reasons, only those of steps whose reason is for the group (the lifecycle
    table says which): an internal note never reaches them."""
    logs = (
        StateLog.objects.filter(content_type=ContentType.objects.get_for_model(Application), object_id=application.pk)
        .select_related("by")
        .order_by("timestamp", "pk")
    )
    events = [TimelineEvent(application.created_at, Status.DRAFT, "", "", False)]
    for log in logs:
        events.append(
            TimelineEvent(
                at=log.timestamp,
                status=log.state,
                label="",
                reason=system_reasons.display(log.description),
                by_staff=bool(log.by and not application.group.memberships.filter(user=log.by).exists()),
                internal=not lifecycle.reason_for_group(log.transition),
            )
        )
    if for_applicant:
        for event in events:
            if event.internal:
                event.reason = ""
    for event in events:
        info = lifecycle.STATE[event.status]
        event.label = str(info.applicant_label if for_applicant else info.staff_label)
    if for_applicant:
        # Steps that read the same to the group (in review, then reviewed: both 评审中) are one
        # step for them, dated from its start; a reason given on a later one is kept with it.
        merged: list[TimelineEvent] = []
        for event in events:
            if merged and merged[-1].label == event.label:
                if event.reason:
                    merged[-1].reason = "\n".join(r for r in (merged[-1].reason, event.reason) if r)
                continue
            merged.append(event)
        events = merged
    return events


def application_next_steps(*, application: Application) -> list[str]:
    """What the group must do next, in words."""
    s = application.status
    if s == Status.DRAFT:
        problems = application.submission_problems()
        if problems:
            closes = timezone.localtime(application.call.closes_at).strftime("%Y-%m-%d %H:%M")
            return [_("Complete the application and submit it before %(closes)s.") % {"closes": closes}, *problems[:3]]
        return [_("Everything is filled in: submit the application.")]
    if s == Status.RETURNED:
        return [_("Make the changes staff asked for and submit again.")]
    if s == Status.AWARDED:
        return [_("Sign the grant agreement with the fund.")]
    if s == Status.IN_DELIVERY:
        return [_("Record activities and expenses; submit the final report when the project ends.")]
    return []


def application_submission_problems(*, application: Application) -> list[str]:
    """Every reason the application can't be submitted now, for the applicant, all at once."""
    problems: list[str] = []
    call, group = application.call, application.group
    now = timezone.now()
    if not call.published or now < call.opens_at:
        problems.append(_("This call is not open for applications yet."))
    elif now >= call.closes_at:
        problems.append(
            _("This call closed on %(closes)s; applications can no longer be submitted.")
            % {"closes": timezone.localtime(call.closes_at).strftime("%Y-%m-%d %H:%M")}
        )
    if group.group_type == "registered":
        if not group.credit_code:
            problems.append(_("The organisation's unified social credit code is missing."))
    elif not group.is_filed:
        problems.append(_("Your group must be filed (备案) with the sub-district before it can apply."))
    if not call.accepts_group(group):
        problems.append(_("This call is not open to your group's community or type."))
    if not call.allow_multiple_applications:
        other = _same_group(application).exclude(status=Status.DRAFT).order_by("pk").first()
        if other is not None:
            problems.append(
                _(
                    "Your group has already sent “%(title)s” to this call, which takes one application per "
                    "group: withdraw one of the two first."
                )
                % {"title": other.title}
            )
    required = [
        ("title", _("project title")),
        ("summary", _("summary")),
        ("activities", _("activities")),
        ("beneficiaries", _("who benefits")),
        ("team", _("team")),
    ]
    for field, label in required:
        if not (getattr(application, field) or "").strip():
            problems.append(_("Fill in the %(field)s.") % {"field": label})
    if not application.beneficiary_count:
        problems.append(_("Say how many people benefit."))
    if application.problem_id is None:
        problems.append(_("Choose the priority problem the project addresses."))
    elif call.problems.exists() and not call.problems.filter(pk=application.problem_id).exists():
        problems.append(_("The priority problem chosen is not one of this call's."))
    lines = list(application.budget_lines.all())
    total = sum((line.amount for line in lines), start=application.requested_amount * 0)
    if application.budget_draft:
        # Rows kept as typed because one of them is not a valid line yet: the budget is not complete.
        for n, row in enumerate(application.budget_draft, start=1):
            if row.get("bad"):
                problems.append(
                    _("Budget line %(n)s has a mistake and is not saved yet: correct it on the form.") % {"n": n}
                )
    elif not lines:
        problems.append(_("Add at least one budget line."))
    for line in lines:
        if line.unit_cost * line.quantity != line.amount:
            problems.append(
                _("Budget line “%(item)s”: %(unit)s × %(qty)s is not %(amount)s.")
                % {"item": line.item, "unit": line.unit_cost, "qty": line.quantity, "amount": line.amount}
            )
    if total != application.requested_amount:
        problems.append(
            _("The budget lines add up to %(total)s but the request is %(requested)s.")
            % {"total": format_amount(total), "requested": format_amount(application.requested_amount)}
        )
    if application.requested_amount and not (call.min_amount <= application.requested_amount <= call.max_amount):
        problems.append(
            _("This call funds between %(min)s and %(max)s; the request is %(requested)s.")
            % {
                "min": format_amount(call.min_amount),
                "max": format_amount(call.max_amount),
                "requested": format_amount(application.requested_amount),
            }
        )
    if not application.milestones.exists():
        problems.append(_("Add at least one milestone."))
    return problems


def applications_for_export(*, call: Call, filters: StaffFilters):
    return application_list_for_call(call=call, filters=filters).annotate(
        attachment_count=Count("attachments", distinct=True)
    )


def budget_summary(*, application: Application):
    return application.budget_lines.values("category").annotate(total=Sum("amount")).order_by("category")


def reviewer_candidates(*, application: Application):
    """Trustee reviewers who are not in the applying group and not yet assigned."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(groups__name="评审 Reviewer", is_active=True)
        .exclude(group_memberships__group=application.group)
        .exclude(review_assignments__application=application)
        .order_by("username")
        .distinct()
    )


def groups_awaiting_filing() -> QuerySet[ResidentGroup]:
    return ResidentGroup.objects.filter(filing_status="pending").select_related("community").order_by("created_at")


# --- review results ---------------------------------------------------------------------------

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
    from .models import ReviewAssignment

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
    from fundpool.selectors import pool_summary

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


# --- reviewers --------------------------------------------------------------------------------


def assignments_for_reviewer(*, user):
    """A reviewer's assignments, recused ones included: the reviewer sees that they recused, and why."""
    from .models import ReviewAssignment

    return (
        ReviewAssignment.objects.filter(reviewer=user)
        .select_related("application__call", "application__group", "review")
        .order_by("application__call__closes_at", "pk")
    )


def assignment_for_reviewer(*, user, pk):
    """An assignment of this reviewer's (recused or not: the caller keeps a recused reviewer out of
    the application); 404 for anyone else's."""
    from .models import ReviewAssignment

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


# --- public notice ----------------------------------------------------------------------------


@dataclass
class NoticeEntry:
    application_id: int
    group: str
    community: str
    project: str
    call: str
    amount: Decimal
    capacity_amount: Decimal
    reviewers: list
    recused: list
    starts_at: datetime
    ends_at: datetime


def notice_list(*, at: datetime | None = None) -> list[NoticeEntry]:
    """Proposed awards on public notice. Names a group, its project, the amount and the reviewers
    (recused ones marked); nothing about the people in the group or who objected."""
    from .models import ReviewAssignment

    applications = list(
        Application.objects.filter(status=Status.ON_NOTICE)
        .select_related("group__community", "call")
        .order_by("notice_ends_at", "pk")
    )
    assignments = ReviewAssignment.objects.filter(application__in=applications).select_related("reviewer")
    names: dict[int, tuple[list, list]] = {a.pk: ([], []) for a in applications}
    for a in assignments:
        names[a.application_id][1 if a.recused else 0].append(a.reviewer.get_full_name() or a.reviewer.username)
    return [
        NoticeEntry(
            application_id=a.pk,
            group=a.group.name,
            community=a.group.community.name,
            project=a.title,
            call=a.call.title,
            amount=a.awarded_amount,
            capacity_amount=a.capacity_amount,
            reviewers=names[a.pk][0],
            recused=names[a.pk][1],
            starts_at=a.notice_starts_at,
            ends_at=a.notice_ends_at,
        )
        for a in applications
    ]


# --- for the donate page and the donor's view ----------------------------------------------------

FUNDED = [Status.IN_DELIVERY, Status.REPORTING, Status.COMPLETED]


def donation_targets():
    """Open calls and funded projects a gift can be designated to (public facts only)."""
    calls = list(call_list_open())
    projects = list(
        Application.objects.filter(status__in=[Status.IN_DELIVERY, Status.REPORTING])
        .select_related("group", "problem__theme")
        .order_by("title")
    )
    return calls, projects


def funded_project(*, pk) -> Application | None:
    try:
        return Application.objects.select_related("problem__theme", "group").get(pk=pk, status__in=FUNDED)
    except (Application.DoesNotExist, ValueError, TypeError):
        return None


def projects_for_references(references) -> dict[str, Application]:
    """The funded projects behind fund-pool references such as `grant:12` (and `grant:12:capacity`)."""
    ids = {}
    for ref in references:
        parts = str(ref).split(":")
        if len(parts) >= 2 and parts[0] == "grant" and parts[1].isdigit():
            ids[ref] = int(parts[1])
    found = Application.objects.select_related("group", "call").in_bulk(set(ids.values()))
    return {ref: found[pk] for ref, pk in ids.items() if pk in found}


# --- the public directory of funded projects ----------------------------------------------------------

PUBLIC_STATES = [Status.AWARDED, Status.IN_DELIVERY, Status.REPORTING, Status.COMPLETED, Status.TERMINATED]


@dataclass
class DirectoryFilters:
    q: str = ""
    theme: str = ""
    community: str = ""
    year: int | None = None
    status: str = ""


def directory_filters(params) -> DirectoryFilters:
    """Read filters from a query string; anything malformed is ignored, never an error."""

    def text(name, limit=40):
        value = params.get(name, "")
        # NUL bytes go: PostgreSQL refuses to compare text with them.
        return value.replace("\x00", "").strip()[:limit] if isinstance(value, str) else ""

    year = text("year", 4)
    status = text("status", 20)
    return DirectoryFilters(
        q=text("q", 60),
        theme=text("theme", 50),
        community=text("community", 50),
        year=int(year) if year.isdecimal() and 2000 <= int(year) <= 2100 else None,
        status=status if status in PUBLIC_STATES else "",
    )


def project_directory(*, filters: DirectoryFilters) -> QuerySet[Application]:
    """Funded projects, public facts only. Search matches every word (split on spaces) anywhere in
    the title, summary, group, community or theme: substring matching, because unsegmented Chinese
    has no word boundaries for a full-text index to split on ("助餐" must find "长者助餐点")."""
    qs = Application.objects.filter(status__in=PUBLIC_STATES, awarded_amount__isnull=False).select_related(
        "group__community", "problem__theme", "call", "outcome_page"
    )
    for word in filters.q.split()[:5]:
        qs = qs.filter(
            Q(title__icontains=word)
            | Q(summary__icontains=word)
            | Q(group__name__icontains=word)
            | Q(group__community__name__icontains=word)
            | Q(problem__theme__name__icontains=word)
        )
    if filters.theme:
        qs = qs.filter(problem__theme__code=filters.theme)
    if filters.community:
        qs = qs.filter(group__community__code=filters.community)
    if filters.year:
        qs = qs.filter(call__opens_at__year=filters.year)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs.order_by("-call__opens_at", "-pk")


def objections_for_staff(*, application: Application) -> list:
    """An award's objections for the admin page, with who decided or confirmed them and every
    further statement from the same contact."""
    return list(application.objections.select_related("resolved_by", "confirmed_by").prefetch_related("statements"))
