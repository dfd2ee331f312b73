"""Resident groups: registering, filing (备案) by staff, details, and members invited by email."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import Group as Role
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import audit
from core.roles import role_name
from core.text import clean_name
from core.uploads import UploadRefused, accept_upload
from grants import notify
from grants.common import GrantsError, acting_user, clean_or_refuse
from grants.groups import selectors as group_selectors
from grants.models import (
    FilingStatus,
    GroupInvitation,
    GroupMembership,
    GroupType,
    MemberRole,
    ResidentGroup,
)

APPLICANT_ROLE = role_name("applicant")


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
        created_by=acting_user(user),
    )
    if group.group_type == GroupType.REGISTERED:
        group.filing_status = FilingStatus.NOT_REQUIRED
    if charter is not None:
        group.charter = charter
    clean_or_refuse(group, exclude=["created_by"], validate_unique=False, validate_constraints=False)
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
    clean_or_refuse(group, exclude=["created_by"], validate_unique=False, validate_constraints=False)
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
    if group_selectors.group_pending_invitations(group=group).filter(email__iexact=email).exists():
        raise GrantsError(
            _("%(email)s has already been invited and has not answered yet; cancel that invitation to send a new one.")
            % {"email": email}
        )
    invitation = GroupInvitation.objects.create(group=group, email=email, invited_by=acting_user(actor))
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
    if not invitation.group.memberships.filter(user=acting_user(actor), role=MemberRole.LEADER).exists():
        raise GrantsError(_("Only the group's leader can cancel an invitation."))
    if invitation.accepted_at is not None:
        raise GrantsError(_("This invitation has already been used."))
    if invitation.cancelled_at is not None:
        raise GrantsError(_("This invitation was cancelled by the group's leader."))
    invitation.cancelled_at, invitation.cancelled_by = timezone.now(), actor
    invitation.save(update_fields=["cancelled_at", "cancelled_by"])
    return invitation
