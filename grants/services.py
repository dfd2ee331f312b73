"""Writes for grants. Each service is one transaction, keyword-only, and raises `GrantsError` (a
translated message, or a list of them) when a rule refuses it; then nothing is written.

Status changes go only through `application_transition`, which calls the lifecycle's transition,
logs it (who, when, from, to, reason), moves money in the fund pool where the step says so, and
tells the group by email when the change is one they can see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group as Role
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, can_proceed
from django_fsm_log.helpers import FSMLogDescriptor

from fundpool import services as fund
from fundpool.errors import FundpoolError
from fundpool.files import UploadRefused, check_upload
from fundpool.ledger import Purpose
from fundpool.money import parse_amount

from . import lifecycle, notify
from .models import (
    Application,
    ApplicationAttachment,
    BudgetLine,
    Call,
    FilingStatus,
    GroupInvitation,
    GroupMembership,
    GroupType,
    MemberRole,
    Milestone,
    ResidentGroup,
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
            check_upload(charter)
        except UploadRefused as exc:
            raise GrantsError(str(exc)) from None
    group = ResidentGroup(
        name=name.strip(),
        group_type=group_type,
        community=community,
        leader_name=leader_name.strip(),
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
    # Uniqueness is left to the database, whose refusal becomes the message below.
    _full_clean(group, exclude=["created_by"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            group.save()
    except IntegrityError:
        raise GrantsError(
            _("A group with this name (or credit code) is already registered in this community.")
        ) from None
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
    transaction.on_commit(lambda: notify.group_filing_changed(group))
    return group


@transaction.atomic
def group_update(*, group: ResidentGroup, user, **fields) -> ResidentGroup:
    """Members correct their group's details; a returned filing goes back to staff."""
    group = ResidentGroup.objects.select_for_update().get(pk=group.pk)
    for name, value in fields.items():
        if name == "charter" and value is None:
            continue
        if name == "charter":
            try:
                check_upload(value)
            except UploadRefused as exc:
                raise GrantsError(str(exc)) from None
        setattr(group, name, value.strip() if isinstance(value, str) else value)
    if group.filing_status == FilingStatus.RETURNED:
        group.filing_status = FilingStatus.PENDING
    _full_clean(group, exclude=["created_by"])
    group.save()
    return group


@transaction.atomic
def group_invite(*, group: ResidentGroup, email: str, actor) -> GroupInvitation:
    email = (email or "").strip().lower()
    if not email:
        raise GrantsError(_("Give an email address."))
    if group.memberships.filter(user__email__iexact=email).exists():
        raise GrantsError(_("%(email)s is already a member.") % {"email": email})
    invitation = GroupInvitation.objects.create(group=group, email=email, invited_by=_actor(actor))
    transaction.on_commit(lambda: notify.group_invitation(invitation))
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user) -> GroupMembership:
    try:
        invitation = GroupInvitation.objects.select_for_update().select_related("group").get(token=token)
    except GroupInvitation.DoesNotExist:
        raise GrantsError(_("This invitation link is not valid.")) from None
    if invitation.accepted_at is not None:
        raise GrantsError(_("This invitation has already been used."))
    if invitation.expired:
        raise GrantsError(_("This invitation has expired; ask for a new one."))
    if invitation.email.lower() != (user.email or "").lower():
        raise GrantsError(_("This invitation was sent to another email address."))
    membership, _created = GroupMembership.objects.get_or_create(group=invitation.group, user=user)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    _grant_applicant_role(user)
    return membership


# --- applications -----------------------------------------------------------------------------


def _member_of(group, user) -> bool:
    return bool(user and user.is_authenticated and group.memberships.filter(user=user).exists())


@transaction.atomic
def application_start(*, call: Call, group: ResidentGroup, user) -> Application:
    """A draft, made as soon as the group chooses to apply (so nothing typed is ever lost)."""
    if not _member_of(group, user):
        raise GrantsError(_("Only members of the group can apply for it."))
    if not call.is_open():
        raise GrantsError(_("This call is not open for applications."))
    if not call.accepts_group(group):
        raise GrantsError(_("This call is not open to your group's community or type."))
    return Application.objects.create(call=call, group=group, title=call.title[:120], created_by=_actor(user))


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
def application_save_draft(*, application: Application, user, fields: dict, lines=None, milestones=None) -> Application:
    """Keep what the group typed. Only the group's own fields are taken; status, award and the
    like are never set from input."""
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


@transaction.atomic
def application_attach(*, application: Application, user, file, title: str = "", identifying: bool = False):
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not _member_of(application.group, user):
        raise GrantsError(_("Only members of the group can add attachments."))
    if not application.is_editable:
        raise GrantsError(_("This application has been submitted and can no longer be changed."))
    if application.attachments.count() >= ApplicationAttachment.MAX_FILES:
        raise GrantsError(_("At most %(n)s attachments per application.") % {"n": ApplicationAttachment.MAX_FILES})
    try:
        content_type = check_upload(file)
    except UploadRefused as exc:
        raise GrantsError(str(exc)) from None
    return ApplicationAttachment.objects.create(
        application=application,
        title=(title or file.name or "")[:120],
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


@transaction.atomic
def review_assign(*, application: Application, reviewers, actor) -> list:
    """Staff assign trustee reviewers. Nobody from the applying group is ever assigned."""
    from .models import ReviewAssignment

    if not (actor and actor.has_perm("grants.screen_application")):
        raise GrantsError(_("You may not assign reviewers."))
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status not in (lifecycle.Status.SUBMITTED, lifecycle.Status.IN_REVIEW):
        raise GrantsError(_("Reviewers are assigned while an application is screened or in review."))
    made = []
    for reviewer in reviewers:
        if not reviewer.groups.filter(name=REVIEWER_ROLE).exists():
            raise GrantsError(_("%(user)s is not a reviewer.") % {"user": reviewer.get_username()})
        if application.group.memberships.filter(user=reviewer).exists():
            raise GrantsError(
                _("%(user)s belongs to the applying group and cannot review it.") % {"user": reviewer.get_username()}
            )
        assignment, created = ReviewAssignment.objects.get_or_create(application=application, reviewer=reviewer)
        if created:
            made.append(assignment)
    return made


# --- the lifecycle ----------------------------------------------------------------------------

# Steps that move money in the fund pool, before (commit) or after (release) the state changes.
_RELEASE_ON = {"uphold_objection", "withdraw", "terminate", "accept_report"}


def may_do(method, user) -> bool:
    """Whether `user` has the step's permission (its conditions are checked separately)."""
    meta = method._django_fsm
    return meta.has_transition_perm(method.__self__, meta.field.get_state(method.__self__), user)


def _refusal_for(application: Application, name: str, user) -> GrantsError | None:
    info = lifecycle.TRANSITIONS.get(name)
    method = getattr(application, name, None) if info else None
    if method is None:
        return GrantsError(_("Unknown step “%(name)s”.") % {"name": str(name)[:40]})
    if not can_proceed(method, check_conditions=False):
        return GrantsError(
            _("“%(step)s” is not possible while the application is “%(status)s”.")
            % {"step": info.label, "status": lifecycle.STATE[application.status].staff_label}
        )
    if not may_do(method, user):
        return GrantsError(_("You may not do “%(step)s” on this application.") % {"step": info.label})
    return None


def application_transition(*, application: Application, name: str, user, reason: str = "", **params) -> Application:
    """Run one lifecycle step as `user`. Refusals raise GrantsError and change nothing."""
    try:
        with transaction.atomic():
            return _transition(application=application, name=name, user=user, reason=reason, **params)
    except ConcurrentTransition:
        raise GrantsError(_("Someone else changed this application just now; reload the page and try again.")) from None


def _transition(*, application: Application, name: str, user, reason: str, **params) -> Application:
    application = Application.objects.select_related("call", "group", "problem").get(pk=application.pk)
    refusal = _refusal_for(application, name, user)
    if refusal:
        raise refusal
    info = lifecycle.TRANSITIONS[name]
    reason = (reason or "").strip()[:2000]
    if info.reason_required and not reason:
        raise GrantsError(_("Give a reason for “%(step)s”; the group will see it.") % {"step": info.label})
    method = getattr(application, name)
    if name == "submit":
        problems = application.submission_problems()
        if problems:
            raise GrantsError(*problems)
    elif not can_proceed(method):
        raise GrantsError(_conditions_message(application, name))
    before = application.status
    if name == "propose_award":
        _commit_award(application, params.get("amount"), user)
    with (
        FSMLogDescriptor(application, "by", _actor(user)),
        FSMLogDescriptor(application, "description", reason or None),
    ):
        method()
    if name == "propose_award":
        application.notice_ends_at = timezone.now() + timedelta(days=application.call.notice_days)
    application.save()
    if name in _RELEASE_ON:
        _release_money(application, user, reason)
    if lifecycle.applicant_label(before) != lifecycle.applicant_label(application.status):
        transaction.on_commit(lambda: notify.application_status_changed(application, reason))
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


def _commit_award(application: Application, amount, user) -> None:
    try:
        amount = parse_amount(amount)
    except FundpoolError as exc:
        raise GrantsError(str(exc)) from None
    if amount > application.requested_amount:
        raise GrantsError(
            _("The award cannot exceed the %(requested)s requested.") % {"requested": application.requested_amount}
        )
    call = application.call
    if not (call.min_amount <= amount <= call.max_amount):
        raise GrantsError(
            _("The award must be between %(min)s and %(max)s for this call.")
            % {"min": call.min_amount, "max": call.max_amount}
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
    except FundpoolError as exc:
        raise GrantsError(str(exc)) from None
    application.awarded_amount = amount


def _release_money(application: Application, user, reason: str) -> None:
    from fundpool.selectors import commitment_balances

    if commitment_balances(reference=application.reference)["outstanding"] > 0:
        fund.commitment_release(
            reference=application.reference, description=reason or application.title, actor=_actor(user)
        )


def application_submit(*, application: Application, user) -> Application:
    return application_transition(application=application, name="submit", user=user)


def available_transitions(*, application: Application, user) -> list[lifecycle.TransitionInfo]:
    """The steps this person may take now (conditions aside: a step whose condition isn't met is
    offered and then explains itself)."""
    out = []
    for name, info in lifecycle.TRANSITIONS.items():
        method = getattr(application, name)
        if can_proceed(method, check_conditions=False) and may_do(method, user):
            out.append(info)
    return out
