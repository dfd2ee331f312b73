"""The application lifecycle: one source of truth for states, their labels for staff and for
applicants, the transitions with their conditions (when) and permissions (who), and which changes
the group is told about. The model mixes `ApplicationLifecycle` in; services call the transitions
and save (see grants/services.py). Keep the word "workflow" for Wagtail's page moderation."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, transition


class Status:
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    INELIGIBLE = "ineligible"
    IN_REVIEW = "in_review"
    REVIEWED = "reviewed"
    DECLINED = "declined"
    ON_NOTICE = "on_notice"
    AWARDED = "awarded"
    IN_DELIVERY = "in_delivery"
    REPORTING = "reporting"
    COMPLETED = "completed"
    TERMINATED = "terminated"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class StateInfo:
    value: str
    staff_label: str
    applicant_label: str
    phase: str
    final: bool = False


# Staff see the exact state; applicants see what it means for them (review-internal steps merge).
STATES = [
    StateInfo(Status.DRAFT, _("Draft"), _("Draft — not yet submitted"), "application"),
    StateInfo(
        Status.SUBMITTED, _("Submitted, awaiting eligibility screening"), _("Submitted, being screened"), "application"
    ),
    StateInfo(Status.RETURNED, _("Returned for changes"), _("Returned to you for changes"), "application"),
    StateInfo(Status.INELIGIBLE, _("Ineligible"), _("Not eligible for this call"), "application", final=True),
    StateInfo(Status.IN_REVIEW, _("In review"), _("Being reviewed"), "review"),
    StateInfo(Status.REVIEWED, _("Reviewed, awaiting decision"), _("Being reviewed"), "review"),
    StateInfo(Status.DECLINED, _("Declined"), _("Not funded this time"), "review", final=True),
    StateInfo(Status.ON_NOTICE, _("On public notice"), _("Proposed for funding, on public notice"), "award"),
    StateInfo(Status.AWARDED, _("Awarded, awaiting agreement"), _("Funded — please sign the agreement"), "award"),
    StateInfo(Status.IN_DELIVERY, _("In delivery"), _("Project under way"), "delivery"),
    StateInfo(Status.REPORTING, _("Final report under review"), _("Final report under review"), "report"),
    StateInfo(Status.COMPLETED, _("Completed"), _("Completed"), "report", final=True),
    StateInfo(Status.TERMINATED, _("Terminated"), _("Terminated"), "delivery", final=True),
    StateInfo(Status.WITHDRAWN, _("Withdrawn"), _("Withdrawn"), "application", final=True),
]
STATE = {s.value: s for s in STATES}
CHOICES = [(s.value, s.staff_label) for s in STATES]
BEFORE_DELIVERY = [
    Status.DRAFT,
    Status.SUBMITTED,
    Status.RETURNED,
    Status.IN_REVIEW,
    Status.REVIEWED,
    Status.ON_NOTICE,
    Status.AWARDED,
]
# Applications set aside: they no longer count as the group's application to their call.
SET_ASIDE = [Status.INELIGIBLE, Status.WITHDRAWN]
# States that hold money committed in the fund pool under the application's reference.
HOLDING_MONEY = [Status.ON_NOTICE, Status.AWARDED, Status.IN_DELIVERY, Status.REPORTING]


def applicant_label(state: str) -> str:
    return STATE[state].applicant_label


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


class Audience:
    """Who reads the reason typed for a step."""

    GROUP = "group"  # the applying group: its timeline and the status email (and fund staff)
    INTERNAL = "internal"  # fund staff only: never on the group's pages or in its emails


@dataclass(frozen=True)
class TransitionInfo:
    name: str
    label: str
    reason_required: bool = False
    # Shown to (and done by) the applying group rather than staff.
    by_applicant: bool = False
    # Internal unless a step says the group is told: a step added without thinking leaks nothing.
    reason_audience: str = Audience.INTERNAL
    # A step that pays tranches as it is taken: why this person may not take it (four eyes), or "".
    payment_conflict: Callable[[object, object], str] | None = None

    @property
    def reason_for_group(self) -> bool:
        return self.reason_audience == Audience.GROUP

    @property
    def reason_label(self) -> str:
        """The label of the step's reason box on staff's pages: who will read what is typed."""
        if self.reason_for_group:
            return _("Reason (the group will see it)")
        return _("Internal note (fund staff only; never shown or sent to the group)")

    @property
    def applicant_reason_label(self) -> str:
        """The label of the reason box on the group's own pages."""
        return _("Reason (the fund's staff will see it)")


GROUP, INTERNAL = Audience.GROUP, Audience.INTERNAL

TRANSITIONS = {
    t.name: t
    for t in [
        TransitionInfo("submit", _("Submit"), by_applicant=True, reason_audience=GROUP),
        # The group must know what to change, why it is not eligible, why it is not funded.
        TransitionInfo("return_for_changes", _("Return for changes"), reason_required=True, reason_audience=GROUP),
        TransitionInfo("reject_eligibility", _("Reject as ineligible"), reason_required=True, reason_audience=GROUP),
        # Review and award deliberations are staff's: they may weigh other groups or the ranking.
        TransitionInfo("start_review", _("Start review"), reason_audience=INTERNAL),
        TransitionInfo("close_review", _("Close review"), reason_audience=INTERNAL),
        TransitionInfo("propose_award", _("Propose award"), reason_audience=INTERNAL),
        TransitionInfo("decline", _("Decline"), reason_required=True, reason_audience=GROUP),
        # Kept with the objection, whose author stays confidential.
        TransitionInfo("uphold_objection", _("Uphold objection"), reason_required=True, reason_audience=INTERNAL),
        TransitionInfo("confirm_award", _("Confirm award"), reason_audience=GROUP),
        TransitionInfo(
            "sign_agreement", _("Record signed agreement"), reason_audience=GROUP, payment_conflict=signing_conflict
        ),
        TransitionInfo("submit_final_report", _("Submit final report"), by_applicant=True, reason_audience=GROUP),
        # The evaluation's comments: what to change, or the verdict.
        TransitionInfo("return_report", _("Return report"), reason_required=True, reason_audience=GROUP),
        TransitionInfo(
            "accept_report", _("Accept report"), reason_audience=GROUP, payment_conflict=settlement_conflict
        ),
        # The group must know why its project ends and what it owes back.
        TransitionInfo("terminate", _("Terminate"), reason_required=True, reason_audience=GROUP),
        TransitionInfo("withdraw", _("Withdraw"), by_applicant=True, reason_audience=GROUP),
    ]
}


def reason_for_group(step: str | None) -> bool:
    """Whether the reason logged for `step` may reach the group (unknown steps: no)."""
    info = TRANSITIONS.get(step or "")
    return bool(info and info.reason_for_group)


class ApplicationLifecycle(ConcurrentTransitionMixin):
    """Transitions change the object in memory only; the service that calls one saves it, in one
    transaction, and `ConcurrentTransitionMixin` refuses the save if another transition won."""

    @transition(
        field="status",
        source=[Status.DRAFT, Status.RETURNED],
        target=Status.SUBMITTED,
        conditions=[ready_to_submit],
        permission=is_member,
    )
    def submit(self):
        self.submitted_at = timezone.now()

    @transition(
        field="status", source=[Status.SUBMITTED, Status.IN_REVIEW], target=Status.RETURNED, permission=is_screener
    )
    def return_for_changes(self):
        pass

    @transition(field="status", source=Status.SUBMITTED, target=Status.INELIGIBLE, permission=is_screener)
    def reject_eligibility(self):
        pass

    @transition(
        field="status",
        source=Status.SUBMITTED,
        target=Status.IN_REVIEW,
        conditions=[enough_reviewers],
        permission=is_screener,
    )
    def start_review(self):
        pass

    @transition(field="status", source=Status.IN_REVIEW, target=Status.REVIEWED, permission=is_screener)
    def close_review(self):
        pass

    @transition(field="status", source=Status.REVIEWED, target=Status.ON_NOTICE, permission=is_decider)
    def propose_award(self):
        pass

    @transition(field="status", source=Status.REVIEWED, target=Status.DECLINED, permission=is_decider)
    def decline(self):
        pass

    @transition(field="status", source=Status.ON_NOTICE, target=Status.REVIEWED, permission=is_decider)
    def uphold_objection(self):
        self.notice_ends_at = None

    @transition(
        field="status",
        source=Status.ON_NOTICE,
        target=Status.AWARDED,
        conditions=[notice_period_over, no_open_objection],
        permission=is_decider,
    )
    def confirm_award(self):
        self.awarded_at = timezone.now()

    @transition(field="status", source=Status.AWARDED, target=Status.IN_DELIVERY, permission=may_sign_agreement)
    def sign_agreement(self):
        pass

    @transition(field="status", source=Status.IN_DELIVERY, target=Status.REPORTING, permission=is_member)
    def submit_final_report(self):
        pass

    @transition(field="status", source=Status.REPORTING, target=Status.IN_DELIVERY, permission=is_delivery_manager)
    def return_report(self):
        pass

    @transition(field="status", source=Status.REPORTING, target=Status.COMPLETED, permission=may_accept_report)
    def accept_report(self):
        pass

    @transition(
        field="status",
        source=[Status.AWARDED, Status.IN_DELIVERY, Status.REPORTING],
        target=Status.TERMINATED,
        permission=is_decider,
    )
    def terminate(self):
        pass

    @transition(field="status", source=BEFORE_DELIVERY, target=Status.WITHDRAWN, permission=member_or_screener)
    def withdraw(self):
        pass
