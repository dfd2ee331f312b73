"""Writes for grants. Each service is one transaction, keyword-only, and raises `GrantsError` (a
translated message, or a list of them) when a rule refuses it; then nothing is written.

Status changes go only through `application_transition`, which calls the lifecycle's transition,
logs it (who, when, from, to, reason), moves money in the fund pool where the step says so, and
tells the group by email when the change is one they can see."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group as Role
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, can_proceed
from django_fsm_log.helpers import FSMLogDescriptor

from core import audit
from core.text import clean_name
from core.uploads import UploadRefused, accept_upload, upload_label
from fundpool import services as fund
from fundpool.errors import FundpoolError
from fundpool.ledger import Purpose
from fundpool.money import format_amount, parse_amount

from . import lifecycle, notify, review_rules, selectors, system_reasons
from .models import (
    Agreement,
    Application,
    ApplicationAttachment,
    BudgetLine,
    Call,
    ContactMethod,
    FilingStatus,
    GroupInvitation,
    GroupMembership,
    GroupType,
    MemberRole,
    Milestone,
    Objection,
    ObjectionDigest,
    ObjectionStatement,
    ObjectionStatus,
    ResidentGroup,
    Review,
    ReviewAssignment,
    ReviewerProfile,
    Tranche,
    TrancheStatus,
)

APPLICANT_ROLE = "申报主体 Applicant"
MAX_TEXT = 5000


class GrantsError(Exception):
    """The request was refused; `messages` say why, for the person who asked."""

    def __init__(self, *messages):
        self.messages = [m for m in messages if m]
        super().__init__("; ".join(str(m) for m in self.messages))

    def __str__(self):
        return "；".join(str(m) for m in self.messages)


def _actor(user):
    return user if user is not None and user.is_authenticated else None


def _full_clean(obj, **kwargs):
    try:
        obj.full_clean(**kwargs)
    except ValidationError as exc:
        raise GrantsError(*[m for msgs in exc.message_dict.values() for m in msgs]) from None


# --- groups -----------------------------------------------------------------------------------


@transaction.atomic
def group_register(
    *,
    user,
    name,
    group_type,
    community,
    leader_name,
    leader_phone,
    member_count,
    member_list,
    introduction="",
    credit_code="",
    charter=None,
) -> ResidentGroup:
    """A person registers a group and becomes its leader; the group then awaits filing (备案)."""
    if charter is not None:
        try:
            charter, _type = accept_upload(charter)
        except UploadRefused as exc:
            raise GrantsError(str(exc)) from None
    group = ResidentGroup(
        name=clean_name(name),
        group_type=group_type,
        community=community,
        leader_name=clean_name(leader_name),
        leader_phone=leader_phone.strip(),
        member_count=member_count,
        member_list=member_list.strip(),
        introduction=introduction.strip(),
        credit_code=(credit_code or "").strip().upper(),
        created_by=_actor(user),
    )
    if group.group_type == GroupType.REGISTERED:
        group.filing_status = FilingStatus.NOT_REQUIRED
    if charter is not None:
        group.charter = charter
    _full_clean(group, exclude=["created_by"], validate_unique=False, validate_constraints=False)
    _save_group(group)
    GroupMembership.objects.create(group=group, user=user, role=MemberRole.LEADER)
    _grant_applicant_role(user)
    transaction.on_commit(lambda: notify.group_registered(group))
    return group


def _grant_applicant_role(user) -> None:
    role, _created = Role.objects.get_or_create(name=APPLICANT_ROLE)
    user.groups.add(role)


@transaction.atomic
def group_file(*, group: ResidentGroup, filing_number: str, filed_on: date, actor) -> ResidentGroup:
    """Staff record the group's filing (备案) with the sub-district."""
    group = ResidentGroup.objects.select_for_update().get(pk=group.pk)
    if group.group_type == GroupType.REGISTERED:
        raise GrantsError(_("Registered organisations are not filed; they apply with their credit code."))
    if not (filing_number or "").strip():
        raise GrantsError(_("Give the filing number."))
    if filed_on is None or filed_on > timezone.localdate():
        raise GrantsError(_("Give the date of filing (not in the future)."))
    if ResidentGroup.objects.filter(filing_number=filing_number.strip()).exclude(pk=group.pk).exists():
        raise GrantsError(
            _("The filing number %(number)s belongs to another group.") % {"number": filing_number.strip()}
        )
    group.filing_status = FilingStatus.FILED
    group.filing_number = filing_number.strip()
    group.filed_on = filed_on
    group.filing_note = ""
    group.save(update_fields=["filing_status", "filing_number", "filed_on", "filing_note"])
    audit.record(group, "grants.group_file", by=actor, filing_number=group.filing_number, filed_on=filed_on)
    transaction.on_commit(lambda: notify.group_filing_changed(group))
    return group


@transaction.atomic
def group_return(*, group: ResidentGroup, reason: str, actor) -> ResidentGroup:
    """Staff send the filing back with what needs changing."""
    if not (reason or "").strip():
        raise GrantsError(_("Give a reason, so the group knows what to change."))
    group = ResidentGroup.objects.select_for_update().get(pk=group.pk)
    if group.group_type == GroupType.REGISTERED:
        raise GrantsError(_("Registered organisations are not filed; they apply with their credit code."))
    group.filing_status = FilingStatus.RETURNED
    group.filing_note = reason.strip()
    group.save(update_fields=["filing_status", "filing_note"])
    audit.record(group, "grants.group_return", by=actor, reason=group.filing_note)
    transaction.on_commit(lambda: notify.group_filing_changed(group))
    return group


# Names people type: one normal form, so a look-alike is the name it looks like (core.text).
NAME_FIELDS = ("name", "leader_name")


@transaction.atomic
def group_update(*, group: ResidentGroup, user, **fields) -> ResidentGroup:
    """Members correct their group's details; a returned filing goes back to staff."""
    group = ResidentGroup.objects.select_for_update().get(pk=group.pk)
    for name, value in fields.items():
        if name == "charter" and value is None:
            continue
        if name == "charter":
            try:
                value, _type = accept_upload(value)
            except UploadRefused as exc:
                raise GrantsError(str(exc)) from None
        if name in NAME_FIELDS:
            value = clean_name(value)
        setattr(group, name, value.strip() if isinstance(value, str) else value)
    if group.filing_status == FilingStatus.RETURNED:
        group.filing_status = FilingStatus.PENDING
    _full_clean(group, exclude=["created_by"], validate_unique=False, validate_constraints=False)
    _save_group(group)
    return group


def _save_group(group: ResidentGroup) -> None:
    # Uniqueness is left to the database (names are in their normal form by now), whose refusal
    # becomes the group's message.
    try:
        with transaction.atomic():
            group.save()
    except IntegrityError:
        raise GrantsError(
            _("A group with this name (or credit code) is already registered in this community.")
        ) from None


@transaction.atomic
def group_invite(*, group: ResidentGroup, email: str, actor) -> GroupInvitation:
    email = (email or "").strip().lower()
    if not email:
        raise GrantsError(_("Give an email address."))
    group = ResidentGroup.objects.select_for_update().get(pk=group.pk)  # two invitations at once: one waits
    if group.memberships.filter(user__email__iexact=email).exists():
        raise GrantsError(_("%(email)s is already a member.") % {"email": email})
    if selectors.group_pending_invitations(group=group).filter(email__iexact=email).exists():
        raise GrantsError(
            _("%(email)s has already been invited and has not answered yet; cancel that invitation to send a new one.")
            % {"email": email}
        )
    invitation = GroupInvitation.objects.create(group=group, email=email, invited_by=_actor(actor))
    transaction.on_commit(lambda: notify.group_invitation(invitation))
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user) -> GroupMembership:
    if "\x00" in token:  # no token has one, and PostgreSQL refuses to compare with it
        raise GrantsError(_("This invitation link is not valid."))
    try:
        invitation = GroupInvitation.objects.select_for_update().select_related("group").get(token=token)
    except GroupInvitation.DoesNotExist:
        raise GrantsError(_("This invitation link is not valid.")) from None
    if invitation.problem:
        raise GrantsError(invitation.problem)
    if invitation.email.lower() != (user.email or "").lower():
        raise GrantsError(_("This invitation was sent to another email address."))
    membership, _created = GroupMembership.objects.get_or_create(group=invitation.group, user=user)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    _grant_applicant_role(user)
    return membership


@transaction.atomic
def invitation_cancel(*, invitation: GroupInvitation, actor) -> GroupInvitation:
    """The group's leader takes back an invitation nobody has accepted yet; its link stops working."""
    invitation = GroupInvitation.objects.select_for_update().select_related("group").get(pk=invitation.pk)
    if not invitation.group.memberships.filter(user=_actor(actor), role=MemberRole.LEADER).exists():
        raise GrantsError(_("Only the group's leader can cancel an invitation."))
    if invitation.accepted_at is not None:
        raise GrantsError(_("This invitation has already been used."))
    if invitation.cancelled_at is not None:
        raise GrantsError(_("This invitation was cancelled by the group's leader."))
    invitation.cancelled_at, invitation.cancelled_by = timezone.now(), actor
    invitation.save(update_fields=["cancelled_at", "cancelled_by"])
    return invitation


# --- applications -----------------------------------------------------------------------------


def _member_of(group, user) -> bool:
    return bool(user and user.is_authenticated and group.memberships.filter(user=user).exists())


class AlreadyApplied(GrantsError):
    """The group already has an application in this call, which allows one per group; the
    group is taken to `application` instead."""

    def __init__(self, application: Application):
        self.application = application
        super().__init__(
            _("Your group has already applied to this call (“%(title)s”); it takes one application per group.")
            % {"title": application.title}
        )


def _lock_group(group_id: int) -> None:
    """The group's row is the lock for its applications to a call: two starts (or two submissions)
    at once wait for each other here, so the second sees the first."""
    ResidentGroup.objects.select_for_update().only("pk").get(pk=group_id)


def _counted_applications(*, call: Call, group_id: int):
    return Application.objects.filter(call=call, group_id=group_id).exclude(status__in=lifecycle.SET_ASIDE)


@transaction.atomic
def application_start(*, call: Call, group: ResidentGroup, user) -> Application:
    """A draft, made as soon as the group chooses to apply (so nothing typed is ever lost). One
    per group per call unless the call allows more: a group that already applied gets
    `AlreadyApplied`, which names its application."""
    if not _member_of(group, user):
        raise GrantsError(_("Only members of the group can apply for it."))
    if not call.is_open():
        raise GrantsError(_("This call is not open for applications."))
    if not call.accepts_group(group):
        raise GrantsError(_("This call is not open to your group's community or type."))
    if not call.allow_multiple_applications:
        _lock_group(group.pk)
        existing = _counted_applications(call=call, group_id=group.pk).order_by("pk").first()
        if existing is not None:
            raise AlreadyApplied(existing)
    return Application.objects.create(
        call=call, group=group, title=clean_name(call.title)[:120], created_by=_actor(user)
    )


@dataclass
class LineInput:
    category: str
    item: str
    unit_cost: Decimal
    quantity: Decimal
    amount: Decimal


@dataclass
class MilestoneInput:
    title: str
    due_on: date


DRAFT_FIELDS = (
    "title",
    "summary",
    "problem",
    "activities",
    "beneficiaries",
    "beneficiary_count",
    "team",
    "own_contribution",
    "matched_contribution",
    "requested_amount",
)


@transaction.atomic
def application_save_draft(
    *, application: Application, user, fields: dict, lines=None, milestones=None, budget_draft=None
) -> Application:
    """Keep what the group typed. Only the group's own fields are taken; status, award and the
    like are never set from input. With `lines`, the budget becomes those lines; `budget_draft`
    then keeps every row as typed when one of them could not be a line (see Application)."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not _member_of(application.group, user):
        raise GrantsError(_("Only members of the group can edit its application."))
    if not application.is_editable:
        raise GrantsError(_("This application has been submitted and can no longer be changed."))
    for name in DRAFT_FIELDS:
        if name in fields:
            value = fields[name]
            if isinstance(value, str):
                value = value.strip()[:MAX_TEXT]
            setattr(application, name, value)
    if lines is not None:
        application.budget_lines.all().delete()
        BudgetLine.objects.bulk_create(
            [
                BudgetLine(
                    application=application,
                    category=line.category,
                    item=line.item[:100],
                    unit_cost=line.unit_cost,
                    quantity=line.quantity,
                    amount=line.amount,
                    position=i,
                )
                for i, line in enumerate(lines)
            ]
        )
        application.budget_draft = _raw_rows(budget_draft or [])
    if milestones is not None:
        application.milestones.all().delete()
        Milestone.objects.bulk_create(
            [
                Milestone(application=application, title=m.title[:120], due_on=m.due_on, position=i)
                for i, m in enumerate(milestones)
            ]
        )
    _full_clean(application, exclude=["call", "group", "created_by", "problem", "status"])
    application.save()
    return application


BUDGET_ROW_KEYS = ("category", "item", "unit_cost", "quantity", "amount")


def _raw_rows(rows) -> list[dict]:
    # Text as typed, bounded: at most as many rows as the form takes, each value as long as its
    # input; `bad` marks the rows that could not be saved as lines.
    return [
        {**{key: str(row.get(key) or "")[:100] for key in BUDGET_ROW_KEYS}, "bad": bool(row.get("bad"))}
        for row in list(rows)[:50]
    ]


@transaction.atomic
def application_attach(*, application: Application, user, file, title: str = "", identifying: bool = False):
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not _member_of(application.group, user):
        raise GrantsError(_("Only members of the group can add attachments."))
    if not application.is_editable:
        raise GrantsError(_("This application has been submitted and can no longer be changed."))
    if application.attachments.count() >= ApplicationAttachment.MAX_FILES:
        raise GrantsError(_("At most %(n)s attachments per application.") % {"n": ApplicationAttachment.MAX_FILES})
    # What the group called the file is only its label; it is stored under a name of ours.
    title = upload_label(title or getattr(file, "name", ""), limit=120)
    try:
        file, content_type = accept_upload(file)
    except UploadRefused as exc:
        raise GrantsError(str(exc)) from None
    return ApplicationAttachment.objects.create(
        application=application,
        title=title,
        file=file,
        content_type=content_type,
        size=file.size,
        identifying=identifying,
        uploaded_by=_actor(user),
    )


@transaction.atomic
def application_detach(*, attachment: ApplicationAttachment, user) -> None:
    application = attachment.application
    if not _member_of(application.group, user) or not application.is_editable:
        raise GrantsError(_("This attachment can no longer be removed."))
    attachment.file.delete(save=False)
    attachment.delete()


# --- reviewers --------------------------------------------------------------------------------

REVIEWER_ROLE = "评审 Reviewer"


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
    assignment.reinstated_by = _actor(actor)
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


@transaction.atomic
def review_assign(*, application: Application, reviewers, actor) -> list:
    """Staff assign trustee reviewers. A conflicted reviewer is never assigned."""
    if not (actor and actor.has_perm("grants.screen_application")):
        raise GrantsError(_("You may not assign reviewers."))
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
            application=application, reviewer=reviewer, defaults={"assigned_by": _actor(actor)}
        )
        if created:
            made.append(assignment)
    if made:
        audit.record(application, "grants.review_assign", by=actor, reviewers=[a.reviewer.get_username() for a in made])
    return made


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
            ReviewAssignment.objects.create(application=application, reviewer=reviewer, assigned_by=_actor(actor))
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
    from .models import CriterionScore, Recommendation

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


# --- public notice ----------------------------------------------------------------------------


# Further statements one contact may add to one objection (each up to MAX_TEXT characters).
MAX_STATEMENTS = 20
_PHONE_SEPARATORS = re.compile(r"[\s\-–—()（）.]")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_LANDLINE = re.compile(r"0[1-9][0-9]{8,10}")  # area code and number


@dataclass
class ObjectionFiled:
    """What the objector is told: their objection (a new one, or the earlier one from the same
    contact that this statement was added to) and, while a phone number waits for staff's call,
    the code to read out to them."""

    objection: Objection
    merged: bool
    code: str = ""


def objection_contact(contact: str) -> tuple[str, str] | None:
    """(method, key) for a mobile number, a landline with its area code or an email address; None
    for anything else. The key is what makes two contacts the same: full-width characters, spaces,
    dashes, brackets, a +86 prefix and the email's letter case do not count."""
    value = unicodedata.normalize("NFKC", contact or "").strip()
    if "@" in value:
        try:
            validate_email(value)
        except ValidationError:
            return None
        return ContactMethod.EMAIL, value.lower()
    digits = _PHONE_SEPARATORS.sub("", value)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
            break
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return ContactMethod.PHONE, digits
    return None


@transaction.atomic
def objection_submit(*, application: Application, name: str, contact: str, text: str) -> ObjectionFiled:
    """A signed objection to a proposed award, during the notice period only. A second one from the
    same contact to the same notice is kept with the first as a further statement: no new
    objection, no new email. A new one holds up the award only once its contact is confirmed: an
    email address by the link sent to it, a phone number by staff, who call it and check the code
    the objector is shown."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status != lifecycle.Status.ON_NOTICE or application.notice_ends_at is None:
        raise GrantsError(_("This award is not on public notice."))
    if timezone.now() >= application.notice_ends_at:
        raise GrantsError(_("The public notice for this award has ended; objections are no longer accepted."))
    name, contact, text = (name or "").strip(), (contact or "").strip(), (text or "").strip()
    method_key = objection_contact(contact) if contact else None
    errors = []
    if not name:
        errors.append(_("Give your real name: anonymous objections are not accepted. It stays confidential."))
    if not contact:
        errors.append(_("Give a phone number or email so the fund can reply. It stays confidential."))
    elif method_key is None:
        errors.append(
            _(
                "Give a mobile number, a landline with its area code, or an email address, so that the fund "
                "can confirm the objection is yours. It stays confidential."
            )
        )
    if not text:
        errors.append(_("Say what the objection is."))
    if errors:
        raise GrantsError(*errors)
    method, key = method_key
    earlier = (
        Objection.objects.select_for_update()
        .filter(application=application, notice_starts_at=application.notice_starts_at, contact_key=key)
        .first()
    )
    if earlier is not None:
        if earlier.statements.count() >= MAX_STATEMENTS:
            raise GrantsError(
                _("The fund already has many statements from this contact on this award; staff will contact you.")
            )
        ObjectionStatement.objects.create(objection=earlier, name=name[:50], text=text[:MAX_TEXT])
        return ObjectionFiled(earlier, merged=True, code=earlier.phone_code() if earlier.awaits_phone_check else "")
    objection = Objection.objects.create(
        application=application,
        name=name[:50],
        contact=contact[:100],
        contact_method=method,
        contact_key=key,
        notice_starts_at=application.notice_starts_at,
        text=text[:MAX_TEXT],
    )
    if method == ContactMethod.EMAIL:
        transaction.on_commit(lambda: notify.objection_confirm_link(objection))
        return ObjectionFiled(objection, merged=False)
    return ObjectionFiled(objection, merged=False, code=objection.phone_code())


def _objection_confirm(objection: Objection, by) -> Objection:
    objection = Objection.objects.select_for_update(of=("self",)).select_related("application").get(pk=objection.pk)
    if objection.status == ObjectionStatus.OPEN:
        return objection  # confirmed already (a second click on the link)
    if objection.status != ObjectionStatus.PENDING:
        raise GrantsError(_("This objection has already been decided."))
    application = objection.application
    if application.status != lifecycle.Status.ON_NOTICE or application.notice_starts_at != objection.notice_starts_at:
        raise GrantsError(_("The public notice this objection was made to is over; it can no longer be confirmed."))
    objection.status, objection.confirmed_at, objection.confirmed_by = ObjectionStatus.OPEN, timezone.now(), _actor(by)
    objection.save(update_fields=["status", "confirmed_at", "confirmed_by"])
    return objection


@transaction.atomic
def objection_confirm(*, token: str) -> Objection:
    """The objector opened the link emailed to them and confirmed: the objection now holds up the award."""
    objection = Objection.for_token(token)
    if objection is None:
        raise GrantsError(_("This confirmation link is not valid."))
    return _objection_confirm(objection, by=None)


@transaction.atomic
def objection_verify(*, objection: Objection, actor, code: str) -> Objection:
    """Staff phoned the number the objector gave and were told the code the objector was shown."""
    if not (actor and actor.has_perm("grants.decide_application")):
        raise GrantsError(_("You may not confirm objections."))
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    if objection.contact_method != ContactMethod.PHONE:
        raise GrantsError(_("This objection gave no phone number to check."))
    if objection.status != ObjectionStatus.PENDING:
        raise GrantsError(_("This objection's contact is confirmed already, or the objection is decided."))
    if not constant_time_compare((code or "").strip()[:20], objection.phone_code()):
        raise GrantsError(_("That is not the code this objector was shown; ask them to read it out again."))
    objection = _objection_confirm(objection, by=actor)
    audit.record(objection, "grants.objection_verify", by=actor)
    return objection


@transaction.atomic
def objection_resolve(*, objection: Objection, actor, uphold: bool, reason: str) -> Objection:
    """Staff dismiss an objection, or uphold it: the proposed award goes back to decision and its
    money back to the pool."""
    if not (actor and actor.has_perm("grants.decide_application")):
        raise GrantsError(_("You may not resolve objections."))
    objection = Objection.objects.select_for_update().select_related("application").get(pk=objection.pk)
    if objection.status == ObjectionStatus.PENDING:
        raise GrantsError(_("This objection's contact is not confirmed yet; confirm it or dismiss it as not genuine."))
    if objection.status != ObjectionStatus.OPEN:
        raise GrantsError(_("This objection has already been resolved."))
    reason = (reason or "").strip()
    if not reason:
        raise GrantsError(_("Give the reason for the decision; it is kept with the objection."))
    if uphold:
        objection.status = ObjectionStatus.UPHELD
        objection.resolution, objection.resolved_by, objection.resolved_at = reason, _actor(actor), timezone.now()
        objection.save()
        application_transition(application=objection.application, name="uphold_objection", user=actor, reason=reason)
    else:
        objection.status = ObjectionStatus.DISMISSED
        objection.resolution, objection.resolved_by, objection.resolved_at = reason, _actor(actor), timezone.now()
        objection.save()
    audit.record(objection, "grants.objection_resolve", by=actor, outcome=objection.status, reason=reason)
    return objection


@transaction.atomic
def objection_dismiss_not_genuine(*, application: Application, objection_ids, actor, reason: str) -> int:
    """Staff dismiss undecided objections to one award as not genuine (a flood, made-up contacts),
    all at once. The reason is kept with each, and each is in the audit log."""
    if not (actor and actor.has_perm("grants.decide_application")):
        raise GrantsError(_("You may not resolve objections."))
    reason = (reason or "").strip()[:2000]
    if not reason:
        raise GrantsError(_("Give the reason; it is kept with each objection."))
    ids = {int(i) for i in objection_ids if str(i).isdecimal() and len(str(i)) < 19}
    chosen = list(
        Objection.objects.select_for_update()
        .filter(application=application, pk__in=ids, status__in=[ObjectionStatus.PENDING, ObjectionStatus.OPEN])
        .order_by("pk")
    )
    if not chosen:
        raise GrantsError(_("Choose the objections to dismiss."))
    now = timezone.now()
    for objection in chosen:
        objection.status, objection.resolution = ObjectionStatus.NOT_GENUINE, reason
        objection.resolved_by, objection.resolved_at = _actor(actor), now
        objection.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
        audit.record(objection, "grants.objection_dismiss", by=actor, reason=reason)
    return len(chosen)


@transaction.atomic
def objection_digest_send() -> ObjectionDigest | None:
    """Email the fund's deciders one list of the objections they have not been told of: those
    confirmed, and those waiting for staff to phone. Each is in one digest only (the digest it was
    sent in is recorded on it); run on a schedule with close_notices. Names, contacts and what the
    objectors wrote stay in the system."""
    due = Objection.objects.filter(digest__isnull=True).filter(
        Q(status=ObjectionStatus.OPEN) | Q(status=ObjectionStatus.PENDING, contact_method=ContactMethod.PHONE)
    )
    if not due.exists():
        return None
    digest = ObjectionDigest.objects.create()
    # One UPDATE claims them: a run at the same time claims only what this one did not.
    if not due.update(digest=digest):
        digest.delete()
        return None
    objections = list(digest.objections.select_related("application").order_by("application_id", "pk"))
    recipients = notify.decider_emails()
    digest.recipients = len(recipients)
    digest.save(update_fields=["recipients"])
    transaction.on_commit(lambda: notify.objection_digest(objections, recipients))
    return digest


def notices_close(*, now=None) -> list[Application]:
    """Confirm every award whose notice period is over with no open objection (scheduled)."""
    now = now or timezone.now()
    confirmed = []
    due = Application.objects.filter(status=lifecycle.Status.ON_NOTICE, notice_ends_at__lte=now).order_by("pk")
    for application in due:
        if application.has_open_objection():
            continue
        try:
            # The lifecycle checks "notice period over" as of the same moment the choice was made.
            with lifecycle.as_of(now):
                confirmed.append(
                    application_transition(
                        application=application,
                        name="confirm_award",
                        user=None,
                        system=True,
                        reason=system_reasons.encode("grants.notice_ended"),
                    )
                )
        except GrantsError:
            continue  # changed meanwhile; the next run looks again
    return confirmed


# --- agreement --------------------------------------------------------------------------------


def agreement_terms(application: Application, conditions: str) -> dict:
    """The terms a signature freezes: parties, project, amounts, tranche plan, conditions."""
    from fundpool.money import format_amount

    amount = application.awarded_amount
    plan = list(application.call.tranches.all())
    amounts, left = [], amount
    for i, t in enumerate(plan):
        part = left if i == len(plan) - 1 else (amount * t.share / 100).quantize(Decimal("0.01"))
        amounts.append(part)
        left -= part
    return {
        "fund": str(_("Community fund pool")),
        "group": {
            "name": application.group.name,
            "type": application.group.get_group_type_display(),
            "community": application.group.community.name,
            "filing_number": application.group.filing_number,
            "credit_code": application.group.credit_code,
            "leader": application.group.leader_name,
        },
        "project": {"id": application.pk, "title": application.title, "call": application.call.title},
        "amount": str(amount),
        "amount_display": format_amount(amount),
        "capacity_amount": str(application.capacity_amount),
        "tranches": [
            {
                "number": i + 1,
                "share": str(t.share),
                "amount": str(a),
                "trigger": t.trigger,
                "trigger_label": str(t.get_trigger_display()),
                "due_after_days": t.due_after_days,
            }
            for i, (t, a) in enumerate(zip(plan, amounts, strict=True))
        ],
        "conditions": conditions.strip(),
    }


def terms_hash(terms: dict) -> str:
    import hashlib
    import json

    canonical = json.dumps(terms, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _make_agreement(application: Application, user, conditions: str, signed_on) -> Agreement:
    """Freeze the terms, plan the tranches and pay those due on signing, through the fund pool."""
    signed_on = signed_on or timezone.localdate()
    problem = application.signing_date_problem(signed_on)
    if problem:
        raise GrantsError(problem)
    terms = agreement_terms(application, conditions or "")
    agreement = Agreement.objects.create(
        application=application,
        number=f"XY-{signed_on.year}-{application.pk:05d}",
        terms=terms,
        content_hash=terms_hash(terms),
        signed_on=signed_on,
        recorded_by=_actor(user),
    )
    for t in terms["tranches"]:
        tranche = Tranche.objects.create(
            application=application,
            number=t["number"],
            share=Decimal(t["share"]),
            amount=Decimal(t["amount"]),
            trigger=t["trigger"],
            due_on=signed_on + timedelta(days=t["due_after_days"])
            if t["trigger"] == "date" and t["due_after_days"] is not None
            else None,
            status=TrancheStatus.DUE if t["trigger"] == "signing" else TrancheStatus.PLANNED,
        )
        if tranche.status == TrancheStatus.DUE:
            from .delivery_services import tranche_pay

            tranche_pay(
                tranche=tranche,
                actor=user,
                payment_reference=f"{application.reference}:tranche:{tranche.number}",
                system=True,
            )
    # Reports fall due counted from the signing.
    call = application.call
    application.midterm_due_on = (
        signed_on + timedelta(days=call.midterm_report_days) if call.midterm_report_days else None
    )
    application.final_due_on = signed_on + timedelta(days=call.final_report_days)
    Application.objects.filter(pk=application.pk).update(
        midterm_due_on=application.midterm_due_on, final_due_on=application.final_due_on
    )
    from .signals import agreement_signed

    transaction.on_commit(lambda: agreement_signed.send(sender=Agreement, agreement=agreement))
    return agreement


# --- the lifecycle ----------------------------------------------------------------------------

# Steps that move money in the fund pool, before (commit) or after (release) the state changes.
_RELEASE_ON = {"uphold_objection", "withdraw", "terminate", "accept_report"}


# Steps taken from something else, never offered on their own: upholding from the objection (with
# its reason); the final report's steps from the report (its submission and its evaluation).
_FROM_ELSEWHERE = {"uphold_objection", "submit_final_report", "return_report", "accept_report"}

# Steps the system takes on a schedule (no person): closing a public notice.
SYSTEM_STEPS = {"confirm_award", "close_review"}


def may_do(method, user) -> bool:
    """Whether `user` has the step's permission (its conditions are checked separately)."""
    meta = method._django_fsm
    return meta.has_transition_perm(method.__self__, meta.field.get_state(method.__self__), user)


def _refusal_for(application: Application, name: str, user, check_permission: bool = True) -> GrantsError | None:
    info = lifecycle.TRANSITIONS.get(name)
    method = getattr(application, name, None) if info else None
    if method is None:
        return GrantsError(_("Unknown step “%(name)s”.") % {"name": str(name)[:40]})
    if not can_proceed(method, check_conditions=False):
        return GrantsError(
            _("“%(step)s” is not possible while the application is “%(status)s”.")
            % {"step": info.label, "status": lifecycle.STATE[application.status].staff_label}
        )
    if check_permission and not may_do(method, user):
        return GrantsError(_("You may not do “%(step)s” on this application.") % {"step": info.label})
    return None


def application_transition(
    *, application: Application, name: str, user, reason: str = "", system: bool = False, **params
) -> Application:
    """Run one lifecycle step as `user` (or as the system, for scheduled steps such as closing a
    notice: logged with no person). Refusals raise GrantsError and change nothing."""
    try:
        with transaction.atomic():
            return _transition(application=application, name=name, user=user, reason=reason, system=system, **params)
    except ConcurrentTransition:
        raise GrantsError(_("Someone else changed this application just now; reload the page and try again.")) from None


def _transition(*, application: Application, name: str, user, reason: str, system: bool, **params) -> Application:
    application = Application.objects.select_related("call", "group", "problem").get(pk=application.pk)
    if name == "submit" and not application.call.allow_multiple_applications:
        _lock_group(application.group_id)  # then submission_problems sees any other submitted one
    if system and name not in SYSTEM_STEPS:
        raise GrantsError(_("Unknown step “%(name)s”.") % {"name": name})
    # The report's steps are authorised by the report service (staff, or a trustee who reviewed
    # the project); it says so with `evaluated=True`, and the step is logged with that person.
    evaluated = params.pop("evaluated", False) and name in ("accept_report", "return_report")
    refusal = _refusal_for(application, name, user, check_permission=False)
    if refusal is None and not system:
        # Four eyes, before the role: the person is told why this step is someone else's.
        info = lifecycle.TRANSITIONS[name]
        conflict = info.payment_conflict(application, user) if info.payment_conflict else ""
        refusal = GrantsError(conflict) if conflict else None
    if refusal is None and not (system or evaluated):
        refusal = _refusal_for(application, name, user)
    if refusal:
        raise refusal
    info = lifecycle.TRANSITIONS[name]
    reason = (reason or "").strip()[:2000]
    if not system:
        reason = system_reasons.typed(reason)
    if info.reason_required and not reason:
        if info.reason_for_group:
            raise GrantsError(_("Give a reason for “%(step)s”; the group will see it.") % {"step": info.label})
        raise GrantsError(_("Give a reason for “%(step)s”; it stays with fund staff.") % {"step": info.label})
    method = getattr(application, name)
    if name == "submit":
        problems = application.submission_problems()
        if problems:
            raise GrantsError(*problems)
    elif not can_proceed(method):
        raise GrantsError(_conditions_message(application, name))
    before = application.status
    if name == "propose_award":
        _check_award_against_suggestion(application, reason)
        _commit_award(application, params.get("amount"), user)
    with (
        FSMLogDescriptor(application, "by", _actor(user)),
        FSMLogDescriptor(application, "description", reason or None),
    ):
        method()
    if name == "propose_award":
        application.notice_starts_at = timezone.now()
        # A call saved before the minimum was enforced still gets the minimum.
        days = max(application.call.notice_days, settings.NOTICE_MIN_DAYS)
        application.notice_ends_at = application.notice_starts_at + timedelta(days=days)
    application.save()
    if name == "accept_report":
        # What the group spent is paid from the remaining tranches; the rest of the commitment goes
        # back to the pool (below), and money paid beyond the spending is recorded as owed back.
        from .delivery_services import settle_final

        settle_final(application, user)
    if name == "terminate":
        from .delivery_services import termination_recovery

        application.tranches.filter(status__in=[TrancheStatus.PLANNED, TrancheStatus.DUE]).update(
            status=TrancheStatus.CANCELLED
        )
        termination_recovery(application, user, reason, params.get("recovery_amount"))
    if name in _RELEASE_ON:
        _release_money(application, user, reason)
    if name == "uphold_objection":
        application.objections.filter(status=ObjectionStatus.OPEN).update(
            status=ObjectionStatus.UPHELD, resolution=reason, resolved_at=timezone.now(), resolved_by=_actor(user)
        )
    if name == "sign_agreement":
        _make_agreement(application, user, params.get("conditions", ""), params.get("signed_on"))
    audit.record(
        application, "grants.transition", by=user, step=name, before=before, after=application.status, reason=reason
    )
    if lifecycle.applicant_label(before) != lifecycle.applicant_label(application.status):
        transaction.on_commit(lambda: notify.application_status_changed(application, reason, step=name))
    return application


def _conditions_message(application: Application, name: str) -> str:
    if name == "start_review":
        return _("Assign at least %(n)s reviewers without a conflict of interest first.") % {
            "n": application.call.reviewers_per_application
        }
    if name == "confirm_award":
        if application.has_open_objection():
            return _("An objection is still open; decide it first.")
        return _("The public notice runs until %(end)s.") % {
            "end": timezone.localtime(application.notice_ends_at).strftime("%Y-%m-%d %H:%M")
            if application.notice_ends_at
            else "—"
        }
    return _("The conditions for this step are not met.")


def _check_award_against_suggestion(application: Application, reason: str) -> None:
    """Staff may fund against the ranking's suggestion, but say why."""
    from .selectors import call_suggestion

    suggested = call_suggestion(call=application.call).get(application.pk)
    if suggested is not None and not suggested.funded and not reason:
        raise GrantsError(
            _("This application is not in the suggested funding list (%(why)s); give a reason to fund it " "anyway.")
            % {"why": suggested.note}
        )


def _commit_award(application: Application, amount, user) -> None:
    try:
        amount = parse_amount(amount)
    except FundpoolError as exc:
        raise GrantsError(str(exc)) from None
    if amount > application.requested_amount:
        raise GrantsError(
            _("The award cannot exceed the %(requested)s requested.")
            % {"requested": format_amount(application.requested_amount)}
        )
    call = application.call
    if not (call.min_amount <= amount <= call.max_amount):
        raise GrantsError(
            _("The award must be between %(min)s and %(max)s for this call.")
            % {"min": format_amount(call.min_amount), "max": format_amount(call.max_amount)}
        )
    from .selectors import call_awarded_total

    awarded = call_awarded_total(call=call)
    if awarded + amount > call.budget:
        raise GrantsError(
            _("The call's budget is %(budget)s; %(awarded)s is already awarded, so %(amount)s is too much.")
            % {"budget": call.budget, "awarded": awarded, "amount": amount}
        )
    purpose = Purpose(theme=application.problem.theme if application.problem_id else None, call_ref=call.reference)
    try:
        fund.commitment_commit(
            reference=application.reference,
            amount=amount,
            purpose=purpose,
            description=application.title,
            actor=_actor(user),
        )
        if call.capacity_building_amount > 0:
            fund.commitment_commit(
                reference=application.capacity_reference,
                amount=call.capacity_building_amount,
                purpose=Purpose(capacity_building=True, unrestricted_allowed=False),
                description=system_reasons.encode("grants.capacity_building", group=application.group.name),
                actor=_actor(user),
            )
    except FundpoolError as exc:
        raise GrantsError(str(exc)) from None
    application.awarded_amount = amount
    application.capacity_amount = call.capacity_building_amount


def _release_money(application: Application, user, reason: str) -> None:
    from fundpool.selectors import commitment_balances

    for reference in (application.reference, application.capacity_reference):
        if commitment_balances(reference=reference)["outstanding"] > 0:
            fund.commitment_release(reference=reference, description=reason or application.title, actor=_actor(user))


def application_submit(*, application: Application, user) -> Application:
    return application_transition(application=application, name="submit", user=user)


def steps_for_someone_else(*, application: Application, user) -> list[tuple[lifecycle.TransitionInfo, str]]:
    """Steps possible now that this person may not take because they would pay a tranche that
    follows from their own decision (four eyes), each with the reason, for the admin page's next
    steps (accepting the final report says so beside the report)."""
    out = []
    for info in lifecycle.TRANSITIONS.values():
        if (
            info.payment_conflict is None
            or info.name in _FROM_ELSEWHERE
            or not can_proceed(getattr(application, info.name), check_conditions=False)
        ):
            continue
        conflict = info.payment_conflict(application, user)
        if conflict:
            out.append((info, conflict))
    return out


def available_transitions(*, application: Application, user) -> list[lifecycle.TransitionInfo]:
    """The steps this person may take now (conditions aside: a step whose condition isn't met is
    offered and then explains itself)."""
    out = []
    for name, info in lifecycle.TRANSITIONS.items():
        if name in _FROM_ELSEWHERE:
            continue
        method = getattr(application, name)
        if can_proceed(method, check_conditions=False) and may_do(method, user):
            out.append(info)
    return out
