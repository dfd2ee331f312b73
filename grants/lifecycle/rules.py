"""Who may take a step (permissions) and when it may be taken (conditions), as functions of the
application and the person; and what a step sets on the application as it is taken. They read the
application through its own methods and relations and import no model."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# --- who ------------------------------------------------------------------------------------


def is_member(instance, user) -> bool:
    return bool(user and user.is_authenticated and instance.group.memberships.filter(user=user).exists())


def is_screener(instance, user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm("grants.screen_application"))


def is_decider(instance, user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm("grants.decide_application"))


def is_delivery_manager(instance, user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm("grants.manage_delivery"))


def member_or_screener(instance, user) -> bool:
    return is_member(instance, user) or is_screener(instance, user)


# Four eyes (docs/delivery.md): two steps pay tranches as they are taken, so the person who takes
# them is the one who pays; they are refused to whoever may not make that payment.


def signing_conflict(instance, user) -> str:
    """Why `user` may not record the agreement, which pays the tranches due on signing, or ""."""
    conflict = instance.payment_conflict(user) if instance.pays_on_signing() else ""
    if not conflict:
        return ""
    return _("Recording the agreement pays the tranche due on signing. %(why)s") % {"why": conflict}


def settlement_conflict(instance, user) -> str:
    """Why `user` may not accept the final report, which pays what the group spent, or ""."""
    conflict = instance.payment_conflict(user) if instance.settlement_pays() else ""
    if not conflict:
        return ""
    return _("Accepting the final report pays what the group spent from the remaining tranches. %(why)s") % {
        "why": conflict
    }


def may_sign_agreement(instance, user) -> bool:
    return is_delivery_manager(instance, user) and not signing_conflict(instance, user)


def may_accept_report(instance, user) -> bool:
    return is_delivery_manager(instance, user) and not settlement_conflict(instance, user)


# --- when -----------------------------------------------------------------------------------


def ready_to_submit(instance) -> bool:
    return not instance.submission_problems()


def enough_reviewers(instance) -> bool:
    return instance.active_reviewer_count() >= instance.call.reviewers_per_application


# The moment the notice conditions are judged at: the real clock, unless a scheduled run acts as of
# a given moment (`as_of`), so that the run picks due notices and checks them by the same clock.
_as_of: ContextVar = ContextVar("lifecycle_as_of", default=None)


def now():
    return _as_of.get() or timezone.now()


@contextmanager
def as_of(moment):
    token = _as_of.set(moment)
    try:
        yield
    finally:
        _as_of.reset(token)


def notice_period_over(instance) -> bool:
    return instance.notice_ends_at is not None and now() >= instance.notice_ends_at


def no_open_objection(instance) -> bool:
    # Open: its contact is confirmed and staff have not decided it. One not yet confirmed does not count.
    return not instance.has_open_objection()


# --- what a step sets as it is taken (in memory; the runner saves) ---------------------------


def mark_submitted(instance) -> None:
    instance.submitted_at = timezone.now()


def start_notice(instance) -> None:
    """The public notice starts now and runs the call's notice period, never less than the minimum
    (a call saved before the minimum was enforced still gets it)."""
    instance.notice_starts_at = timezone.now()
    days = max(instance.call.notice_days, settings.NOTICE_MIN_DAYS)
    instance.notice_ends_at = instance.notice_starts_at + timedelta(days=days)


def end_notice(instance) -> None:
    instance.notice_ends_at = None


def mark_awarded(instance) -> None:
    instance.awarded_at = timezone.now()


# --- why a condition is not met, in words ---------------------------------------------------


def reviewers_wanted(instance) -> str:
    return _("Assign at least %(n)s reviewers without a conflict of interest first.") % {
        "n": instance.call.reviewers_per_application
    }


def notice_not_over(instance) -> str:
    if instance.has_open_objection():
        return _("An objection is still open; decide it first.")
    return _("The public notice runs until %(end)s.") % {
        "end": timezone.localtime(instance.notice_ends_at).strftime("%Y-%m-%d %H:%M")
        if instance.notice_ends_at
        else "—"
    }
