"""The lifecycle table: every step of an application, declared once. For each step: its source and
target states; its conditions (when) and permission (who); whether it needs a reason and who reads
that reason; whether the group takes it, or the system may; and its effects on money, documents and
people. The state machine (machine.py), the runner (grants/transitions.py), staff's and the group's
pages, the audit log and the diagram all read this table.

Adding a step means adding one `Step` here (and, for a new kind of effect, its implementation,
registered under its name by the stage that owns it: see `Effect`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from . import rules
from .states import BEFORE_DELIVERY, Status


class Audience:
    """Who reads the reason typed for a step."""

    GROUP = "group"  # the applying group: its timeline and the status email (and fund staff)
    INTERNAL = "internal"  # fund staff only: never on the group's pages or in its emails


class Effect:
    """What a step does besides changing the state, by name. Each is implemented once, by the stage
    that owns it, and registered with the runner (`grants.transitions.effect`): award/effects.py
    and delivery/effects.py. A test holds every name used below to a registered implementation."""

    # Before the state changes (a refusal here changes nothing).
    CHECK_SUGGESTION = "check_suggestion"  # funding against the ranking's suggestion needs a reason
    COMMIT_AWARD = "commit_award"  # the award (and its capacity-building sum) committed in the pool
    # After the state changes, in the order a step lists them.
    SETTLE = "settle"  # the final report accepted: what the group spent paid from the remaining tranches
    CANCEL_TRANCHES = "cancel_tranches"  # tranches not yet paid will never be
    RECORD_RECOVERY = "record_recovery"  # money paid beyond what was spent is owed back
    RELEASE = "release"  # what is still committed goes back to the pool
    UPHOLD_OBJECTIONS = "uphold_objections"  # the open objections are decided as upheld, with the reason
    SIGN = "sign"  # the agreement frozen, its tranches planned, those due on signing paid, report dates set
    TELL_STAFF = "tell_staff"  # staff hear of it (a new submission), at once or in their daily digest

    BEFORE = (CHECK_SUGGESTION, COMMIT_AWARD)


GROUP, INTERNAL = Audience.GROUP, Audience.INTERNAL


@dataclass(frozen=True)
class Step:
    name: str
    label: str
    source: tuple[str, ...]
    target: str
    permission: Callable[[object, object], bool]
    conditions: tuple[Callable[[object], bool], ...] = ()
    # Why the conditions are not met, in words (else a general sentence).
    explain: Callable[[object], str] | None = None
    # Every problem at once, for a step the group takes (submitting lists all that is missing).
    problems: Callable[[object], list] | None = None
    reason_required: bool = False
    # Internal unless a step says the group is told: a step added without thinking leaks nothing.
    reason_audience: str = Audience.INTERNAL
    # Shown to (and done by) the applying group rather than staff.
    by_applicant: bool = False
    # The system may take it on a schedule, with no person (closing a notice or a review).
    system: bool = False
    # Offered on its own on staff's and the group's pages; False for steps taken from something
    # else (upholding from the objection, the final report's steps from the report).
    offered: bool = True
    # The final report's evaluation authorises it (staff, or a trustee who reviewed the project).
    evaluated: bool = False
    # Taken under the group's row lock when its call takes one application per group.
    locks_group: bool = False
    # A step that pays tranches as it is taken: why this person may not take it (four eyes), or "".
    payment_conflict: Callable[[object, object], str] | None = None
    # What the step sets on the application as it is taken.
    on_enter: Callable[[object], None] | None = None
    effects: tuple[str, ...] = ()
    # The group is told by email (its own label of the state changes).
    tells_group: bool = True

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

    @property
    def effects_before(self) -> tuple[str, ...]:
        return tuple(e for e in self.effects if e in Effect.BEFORE)

    @property
    def effects_after(self) -> tuple[str, ...]:
        return tuple(e for e in self.effects if e not in Effect.BEFORE)


S = Status

STEPS: dict[str, Step] = {
    step.name: step
    for step in [
        Step(
            "submit",
            _("Submit"),
            source=(S.DRAFT, S.RETURNED),
            target=S.SUBMITTED,
            permission=rules.is_member,
            conditions=(rules.ready_to_submit,),
            problems=lambda application: application.submission_problems(),
            by_applicant=True,
            reason_audience=GROUP,
            locks_group=True,
            on_enter=rules.mark_submitted,
            effects=(Effect.TELL_STAFF,),
        ),
        # The group must know what to change, why it is not eligible, why it is not funded.
        Step(
            "return_for_changes",
            _("Return for changes"),
            source=(S.SUBMITTED, S.IN_REVIEW),
            target=S.RETURNED,
            permission=rules.is_screener,
            reason_required=True,
            reason_audience=GROUP,
        ),
        Step(
            "reject_eligibility",
            _("Reject as ineligible"),
            source=(S.SUBMITTED,),
            target=S.INELIGIBLE,
            permission=rules.is_screener,
            reason_required=True,
            reason_audience=GROUP,
        ),
        # Review and award deliberations are staff's: they may weigh other groups or the ranking.
        Step(
            "start_review",
            _("Start review"),
            source=(S.SUBMITTED,),
            target=S.IN_REVIEW,
            permission=rules.is_screener,
            conditions=(rules.enough_reviewers,),
            explain=rules.reviewers_wanted,
        ),
        Step(
            "close_review",
            _("Close review"),
            source=(S.IN_REVIEW,),
            target=S.REVIEWED,
            permission=rules.is_screener,
            system=True,
            tells_group=False,  # both are "being reviewed" to the group
        ),
        Step(
            "propose_award",
            _("Propose award"),
            source=(S.REVIEWED,),
            target=S.ON_NOTICE,
            permission=rules.is_decider,
            on_enter=rules.start_notice,
            effects=(Effect.CHECK_SUGGESTION, Effect.COMMIT_AWARD),
        ),
        Step(
            "decline",
            _("Decline"),
            source=(S.REVIEWED,),
            target=S.DECLINED,
            permission=rules.is_decider,
            reason_required=True,
            reason_audience=GROUP,
        ),
        # Kept with the objection, whose author stays confidential.
        Step(
            "uphold_objection",
            _("Uphold objection"),
            source=(S.ON_NOTICE,),
            target=S.REVIEWED,
            permission=rules.is_decider,
            reason_required=True,
            offered=False,
            on_enter=rules.end_notice,
            effects=(Effect.RELEASE, Effect.UPHOLD_OBJECTIONS),
        ),
        Step(
            "confirm_award",
            _("Confirm award"),
            source=(S.ON_NOTICE,),
            target=S.AWARDED,
            permission=rules.is_decider,
            conditions=(rules.notice_period_over, rules.no_open_objection),
            explain=rules.notice_not_over,
            reason_audience=GROUP,
            system=True,
            on_enter=rules.mark_awarded,
        ),
        Step(
            "sign_agreement",
            _("Record signed agreement"),
            source=(S.AWARDED,),
            target=S.IN_DELIVERY,
            permission=rules.may_sign_agreement,
            reason_audience=GROUP,
            payment_conflict=rules.signing_conflict,
            effects=(Effect.SIGN,),
        ),
        Step(
            "submit_final_report",
            _("Submit final report"),
            source=(S.IN_DELIVERY,),
            target=S.REPORTING,
            permission=rules.is_member,
            by_applicant=True,
            reason_audience=GROUP,
            offered=False,
        ),
        # The evaluation's comments: what to change, or the verdict.
        Step(
            "return_report",
            _("Return report"),
            source=(S.REPORTING,),
            target=S.IN_DELIVERY,
            permission=rules.is_delivery_manager,
            reason_required=True,
            reason_audience=GROUP,
            offered=False,
            evaluated=True,
        ),
        Step(
            "accept_report",
            _("Accept report"),
            source=(S.REPORTING,),
            target=S.COMPLETED,
            permission=rules.may_accept_report,
            reason_audience=GROUP,
            offered=False,
            evaluated=True,
            payment_conflict=rules.settlement_conflict,
            effects=(Effect.SETTLE, Effect.RELEASE),
        ),
        # The group must know why its project ends and what it owes back.
        Step(
            "terminate",
            _("Terminate"),
            source=(S.AWARDED, S.IN_DELIVERY, S.REPORTING),
            target=S.TERMINATED,
            permission=rules.is_decider,
            reason_required=True,
            reason_audience=GROUP,
            effects=(Effect.CANCEL_TRANCHES, Effect.RECORD_RECOVERY, Effect.RELEASE),
        ),
        Step(
            "withdraw",
            _("Withdraw"),
            source=tuple(BEFORE_DELIVERY),
            target=S.WITHDRAWN,
            permission=rules.member_or_screener,
            by_applicant=True,
            reason_audience=GROUP,
            effects=(Effect.RELEASE,),
        ),
    ]
}


def reason_for_group(step: str | None) -> bool:
    """Whether the reason logged for `step` may reach the group (unknown steps: no)."""
    info = STEPS.get(step or "")
    return bool(info and info.reason_for_group)


@dataclass(frozen=True)
class Flag:
    """Something that can stand beside a state without being one: it changes no step, and the
    application keeps moving while it stands. Drawn in the diagram beside the states it may stand
    in."""

    name: str
    label: str
    states: tuple[str, ...]
    note: str = ""


def _open_states() -> tuple[str, ...]:
    from .states import STATES

    return tuple(s.value for s in STATES if not s.final and s.value != Status.DRAFT)


# A request for information (补充材料) is a flag, not a state: staff may ask at any stage while an
# application is with the fund (screening, review, notice, delivery, reporting), and asking must
# not stop the clock of the stage it is asked in (a notice still ends, a report is still due).
INFO_REQUESTED = Flag(
    "info_requested",
    _("Information requested (补充材料)"),
    _open_states(),
    _("a flag beside the state: it blocks no step"),
)
FLAGS = {INFO_REQUESTED.name: INFO_REQUESTED}
