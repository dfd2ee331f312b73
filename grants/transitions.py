"""Running a lifecycle step."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, can_proceed
from django_fsm_log.helpers import FSMLogDescriptor

from core import audit
from grants import lifecycle, notify, system_reasons
from grants.award.effects import _check_award_against_suggestion, _commit_award, _release_money
from grants.common import GrantsError, acting_user, lock_group
from grants.delivery.effects import _make_agreement
from grants.models import (
    Application,
    ObjectionStatus,
    TrancheStatus,
)

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
        lock_group(application.group_id)  # then submission_problems sees any other submitted one
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
        FSMLogDescriptor(application, "by", acting_user(user)),
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
        from grants.delivery.payments import settle_final

        settle_final(application, user)
    if name == "terminate":
        from grants.delivery.payments import termination_recovery

        application.tranches.filter(status__in=[TrancheStatus.PLANNED, TrancheStatus.DUE]).update(
            status=TrancheStatus.CANCELLED
        )
        termination_recovery(application, user, reason, params.get("recovery_amount"))
    if name in _RELEASE_ON:
        _release_money(application, user, reason)
    if name == "uphold_objection":
        application.objections.filter(status=ObjectionStatus.OPEN).update(
            status=ObjectionStatus.UPHELD, resolution=reason, resolved_at=timezone.now(), resolved_by=acting_user(user)
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
