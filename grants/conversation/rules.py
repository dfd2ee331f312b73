"""Who takes part in a thread, decided once for every screen."""

from __future__ import annotations

from grants.common import is_member_of

STAFF_PERMS = ("grants.screen_application", "grants.manage_delivery")


def is_fund_staff(user) -> bool:
    """Staff who answer groups: those who screen applications or manage delivery."""
    return bool(user and user.is_authenticated and any(user.has_perm(p) for p in STAFF_PERMS))


def side(application, user) -> str | None:
    """ "fund" for staff, "group" for a member of the application's group, else None. A person who
    is both (a staff member in a group) speaks as the fund only on the admin's pages."""
    if is_member_of(application.group, user):
        return "group"
    if is_fund_staff(user):
        return "fund"
    return None
