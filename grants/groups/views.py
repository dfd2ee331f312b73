"""The group's own pages: register, edit, members and invitations, the charter."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.uploads import private_file_response
from grants.common import GrantsError
from grants.groups import selectors as group_selectors
from grants.groups import services as group_services
from grants.groups.forms import GroupForm, InviteForm
from grants.models import FilingStatus, MemberRole


@login_required
def group_create(request):
    form = GroupForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = group_services.group_register(
                user=request.user, charter=form.cleaned_data.pop("charter") or None, **form.cleaned_data
            )
        except GrantsError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Group registered. Staff will file it with the sub-district."))
            return redirect("grants:group_detail", pk=group.pk)
    return render(request, "grants/group_form.html", {"form": form, "creating": True})


@login_required
def group_edit(request, pk):
    group = group_selectors.group_for_member(user=request.user, pk=pk)
    if group.filing_status in (FilingStatus.FILED, FilingStatus.NOT_REQUIRED):
        messages.info(request, _("A filed group's details are changed through fund staff."))
        return redirect("grants:group_detail", pk=group.pk)
    form = GroupForm(request.POST or None, request.FILES or None, instance=group)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            group_services.group_update(group=group, user=request.user, **data)
        except GrantsError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Saved."))
            return redirect("grants:group_detail", pk=group.pk)
    return render(request, "grants/group_form.html", {"form": form, "group": group})


@login_required
def group_detail(request, pk):
    group = group_selectors.group_for_member(user=request.user, pk=pk)
    invite_form = InviteForm(request.POST or None)
    if request.method == "POST" and invite_form.is_valid():
        try:
            group_services.group_invite(group=group, email=invite_form.cleaned_data["email"], actor=request.user)
        except GrantsError as exc:
            invite_form.add_error("email", str(exc))
        else:
            messages.success(request, _("Invitation sent."))
            return redirect("grants:group_detail", pk=group.pk)
    members = list(group_selectors.group_members(group=group))
    return render(
        request,
        "grants/group_detail.html",
        {
            "group": group,
            "members": members,
            "is_leader": any(m.user_id == request.user.pk and m.role == MemberRole.LEADER for m in members),
            "invitations": group_selectors.group_pending_invitations(group=group),
            "invite_form": invite_form,
            "applications": group.applications.select_related("call").order_by("-updated_at"),
        },
    )


@login_required
@require_POST
def invitation_cancel(request, pk):
    invitation = group_selectors.invitation_for_member(user=request.user, pk=pk)
    try:
        group_services.invitation_cancel(invitation=invitation, actor=request.user)
    except GrantsError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The invitation to %(email)s is cancelled.") % {"email": invitation.email})
    return redirect("grants:group_detail", pk=invitation.group_id)


@login_required
def invitation_accept(request, token):
    invitation = group_selectors.invitation_for_token(token=token)
    if invitation is None:
        return render(request, "grants/invitation_accept.html", {"invalid": True}, status=404)
    if request.method == "POST":
        try:
            membership = group_services.invitation_accept(token=token, user=request.user)
        except GrantsError as exc:
            messages.error(request, str(exc))
            return redirect("grants:dashboard")
        messages.success(request, _("You are now a member of %(group)s.") % {"group": membership.group.name})
        return redirect("grants:group_detail", pk=membership.group_id)
    if invitation.email.lower() != (request.user.email or "").lower():
        # Whoever holds the link but is not the person invited learns nothing about the group.
        return render(request, "grants/invitation_accept.html", {"not_for_you": True}, status=403)
    return render(request, "grants/invitation_accept.html", {"invitation": invitation, "token": token})


@login_required
@require_GET
def group_charter(request, pk):
    """The group's charter, for its members and for staff; 404 for anyone else."""
    group = group_selectors.group_for_member_or_staff(user=request.user, pk=pk)
    return private_file_response(group.charter, label=_("%(group)s charter") % {"group": group.name})
