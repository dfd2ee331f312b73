"""What grants' services and views share: the refusal they raise, and small helpers for the person acting."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError

from grants.models import (
    ResidentGroup,
)

MAX_TEXT = 5000


class GrantsError(Exception):
    """The request was refused; `messages` say why, for the person who asked."""

    def __init__(self, *messages):
        self.messages = [m for m in messages if m]
        super().__init__("; ".join(str(m) for m in self.messages))

    def __str__(self):
        return "；".join(str(m) for m in self.messages)


def acting_user(user):
    return user if user is not None and user.is_authenticated else None


def clean_or_refuse(obj, **kwargs):
    try:
        obj.full_clean(**kwargs)
    except ValidationError as exc:
        raise GrantsError(*[m for msgs in exc.message_dict.values() for m in msgs]) from None


def is_member_of(group, user) -> bool:
    return bool(user and user.is_authenticated and group.memberships.filter(user=user).exists())


def lock_group(group_id: int) -> None:
    """The group's row is the lock for its applications to a call: two starts (or two submissions)
    at once wait for each other here, so the second sees the first."""
    ResidentGroup.objects.select_for_update().only("pk").get(pk=group_id)


def is_staff_user(user) -> bool:
    return bool(user.is_authenticated and user.has_perm("grants.view_application"))


def require_perm(request, perm):
    if not request.user.has_perm(perm):
        raise PermissionDenied


def parse_iso_date(value):
    """A date typed as 2026-12-31 (a date input's value), or None when it is not one."""
    import datetime

    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value or "").strip()[:20])
    except ValueError:
        return None
