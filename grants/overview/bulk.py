"""Bulk actions on many applications of a call. Each runs the same step as the single action (the
lifecycle's transitions, or review assignment), one application at a time in its own
transaction, so each is logged as if taken alone; those that fail are listed with the reason, and
the rest are done."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core import audit
from grants import lifecycle, transitions
from grants.common import GrantsError
from grants.lifecycle.bulk import BULK_ACTIONS, BulkAction
from grants.models import Application, Call
from grants.review import selectors as review_selectors
from grants.review import services as review_services

Action = BulkAction
ACTIONS = BULK_ACTIONS


@dataclass
class BulkResult:
    action: Action
    done: list[Application] = field(default_factory=list)
    failed: list[tuple[Application, str]] = field(default_factory=list)


def _ranked(call: Call, applications: list[Application]) -> list[Application]:
    """The chosen applications in the ranking's order (the suggestion list's), unranked last."""
    order = {row.application.pk: row.rank or 10**6 for row in review_selectors.call_results(call=call)}
    return sorted(applications, key=lambda a: (order.get(a.pk, 10**6), a.pk))


def bulk_run(
    *,
    call: Call,
    action: str,
    application_ids,
    user,
    reason_for_all: str = "",
    reasons: dict[int, str] | None = None,
    reviewers=(),
) -> BulkResult:
    if action not in ACTIONS:
        raise GrantsError(_("Choose an action."))
    act = ACTIONS[action]
    ids = sorted({int(i) for i in application_ids if str(i).isdecimal()})
    if not ids:
        raise GrantsError(_("Choose at least one application."))
    applications = list(
        Application.objects.filter(call=call, pk__in=ids).select_related("group", "call").order_by("pk")
    )
    if not applications:
        raise GrantsError(_("None of the chosen applications is in this call."))
    if act.key == "assign" and not reviewers:
        raise GrantsError(_("Choose at least one reviewer."))
    if act.key == "propose":
        applications = _ranked(call, applications)
    reasons = reasons or {}
    result = BulkResult(act)
    for application in applications:
        reason = (reasons.get(application.pk) or reason_for_all or "").strip()
        try:
            if not actionable(act.key, application):
                raise GrantsError(
                    _("It is “%(status)s”: this action does not apply.") % {"status": application.get_status_display()}
                )
            with transaction.atomic():
                if act.step is None:
                    made = review_services.review_assign(application=application, reviewers=reviewers, actor=user)
                    if not made:
                        raise GrantsError(_("Those reviewers are assigned already."))
                elif act.step == "propose_award":
                    suggestion = review_selectors.call_suggestion(call=call).get(application.pk)
                    if suggestion is None or not suggestion.funded:
                        raise GrantsError(
                            _("Not in the suggested funding list; propose it on its own page, with a reason.")
                        )
                    transitions.application_transition(
                        application=application,
                        name=act.step,
                        user=user,
                        reason=reason,
                        amount=str(application.requested_amount),
                    )
                else:
                    if act.needs_reason and not reason:
                        raise GrantsError(_("No reason given for this one."))
                    transitions.application_transition(application=application, name=act.step, user=user, reason=reason)
        except GrantsError as exc:
            result.failed.append((application, "; ".join(str(m) for m in exc.messages) or str(exc)))
        else:
            result.done.append(application)
    if result.done:
        audit.record(
            call,
            "grants.bulk_action",
            by=user,
            bulk=act.key,
            done=[a.pk for a in result.done],
            failed=[a.pk for a, _why in result.failed],
        )
    return result


def actionable(action: str, application: Application) -> bool:
    """Whether an application is in a state the action applies to (the list preselects nothing else)."""
    act = ACTIONS.get(action)
    if act is None:
        return False
    if act.step is None:
        return application.status in (lifecycle.Status.SUBMITTED, lifecycle.Status.IN_REVIEW)
    return application.status in lifecycle.STEPS[act.step].source
