"""The effects of the lifecycle table (grants/lifecycle/steps.py) that the award stage owns: the
award checked against the ranking's suggestion and committed in the fund pool, what is committed
released, open objections upheld. Registered with the runner by name."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fundpool.errors import FundpoolError
from fundpool.ledger import commitments
from fundpool.ledger.engine import Purpose
from fundpool.ledger.selectors import commitment_balances
from fundpool.money import format_amount, parse_amount
from grants import system_reasons
from grants.common import GrantsError, acting_user
from grants.lifecycle import Effect
from grants.models import Application, ObjectionStatus
from grants.review.selectors import call_awarded_total, call_suggestion
from grants.transitions import effect


@effect(Effect.CHECK_SUGGESTION)
def check_against_suggestion(application: Application, *, user, reason: str, params: dict) -> None:
    """Staff may fund against the ranking's suggestion, but say why."""
    suggested = call_suggestion(call=application.call).get(application.pk)
    if suggested is not None and not suggested.funded and not reason:
        raise GrantsError(
            _("This application is not in the suggested funding list (%(why)s); give a reason to fund it " "anyway.")
            % {"why": suggested.note}
        )


@effect(Effect.COMMIT_AWARD)
def commit_award(application: Application, *, user, reason: str, params: dict) -> None:
    """The award (at most what was asked, within the call's range and budget) committed in the fund
    pool, with the call's capacity-building sum apart."""
    try:
        amount = parse_amount(params.get("amount"))
    except FundpoolError as exc:
        raise GrantsError(str(exc)) from None
    if amount > application.requested_amount:
        raise GrantsError(
            _("The award cannot exceed the %(requested)s requested.")
            % {"requested": format_amount(application.requested_amount)}
        )
    call = application.call
    if not (call.min_amount <= amount <= call.max_amount):
        raise GrantsError(
            _("The award must be between %(min)s and %(max)s for this call.")
            % {"min": format_amount(call.min_amount), "max": format_amount(call.max_amount)}
        )
    awarded = call_awarded_total(call=call)
    if awarded + amount > call.budget:
        raise GrantsError(
            _("The call's budget is %(budget)s; %(awarded)s is already awarded, so %(amount)s is too much.")
            % {"budget": call.budget, "awarded": awarded, "amount": amount}
        )
    purpose = Purpose(theme=application.problem.theme if application.problem_id else None, call_ref=call.reference)
    try:
        commitments.commitment_commit(
            reference=application.reference,
            amount=amount,
            purpose=purpose,
            description=application.title,
            actor=acting_user(user),
        )
        if call.capacity_building_amount > 0:
            commitments.commitment_commit(
                reference=application.capacity_reference,
                amount=call.capacity_building_amount,
                purpose=Purpose(capacity_building=True, unrestricted_allowed=False),
                description=system_reasons.encode("grants.capacity_building", group=application.group.name),
                actor=acting_user(user),
            )
    except FundpoolError as exc:
        raise GrantsError(str(exc)) from None
    application.awarded_amount = amount
    application.capacity_amount = call.capacity_building_amount


@effect(Effect.RELEASE)
def release_money(application: Application, *, user, reason: str, params: dict) -> None:
    """Whatever is still committed to the grant (and its capacity-building sum) goes back to the pool."""
    for reference in (application.reference, application.capacity_reference):
        if commitment_balances(reference=reference)["outstanding"] > 0:
            commitments.commitment_release(
                reference=reference, description=reason or application.title, actor=acting_user(user)
            )


@effect(Effect.UPHOLD_OBJECTIONS)
def uphold_objections(application: Application, *, user, reason: str, params: dict) -> None:
    """The objections still open are decided as upheld, with the step's reason."""
    application.objections.filter(status=ObjectionStatus.OPEN).update(
        status=ObjectionStatus.UPHELD, resolution=reason, resolved_at=timezone.now(), resolved_by=acting_user(user)
    )
