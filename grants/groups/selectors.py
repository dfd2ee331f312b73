"""Reads about groups, their members and invitations, for members and staff."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone

from grants.models import (
    GroupInvitation,
    GroupMembership,
    ResidentGroup,
)


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


def groups_awaiting_filing() -> QuerySet[ResidentGroup]:
    return ResidentGroup.objects.filter(filing_status="pending").select_related("community").order_by("created_at")
