"""Running a lifecycle step: `application_transition` takes the step the table declares
(grants/lifecycle/steps.py), checks who and when, calls the state machine, runs the step's effects,
logs it (who, when, from, to, reason) and tells the group when the change is one they see.

The effects are implemented by the stages that own them (award/effects.py, delivery/effects.py)
and registered here by name (`effect`); the runner knows the names, not the stages, so every
stage may call the runner without an import cycle."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, can_proceed
from django_fsm_log.helpers import FSMLogDescriptor

from core import audit
from grants import lifecycle, notify, system_reasons
from grants.common import GrantsError, acting_user, lock_group
from grants.lifecycle import STEPS, Step
from grants.models import Application

# name -> function(application, *, user, reason, params) for every effect of the table.
EFFECTS: dict[str, Callable] = {}


def effect(name: str):
    """Register the implementation of an effect named in the table (lifecycle.Effect)."""

    def register(function):
        if name in EFFECTS and EFFECTS[name] is not function:
            raise ValueError(f"the effect {name} is registered twice")
        EFFECTS[name] = function
        return function

    return register


def _run_effects(names, application: Application, *, user, reason: str, params: dict) -> None:
    for name in names:
        EFFECTS[name](application, user=user, reason=reason, params=params)


def may_do(method, user) -> bool:
    """Whether `user` has the step's permission (its conditions are checked separately)."""
    meta = method._django_fsm
    return meta.has_transition_perm(method.__self__, meta.field.get_state(method.__self__), user)


def _refusal_for(application: Application, name: str, user, check_permission: bool = True) -> GrantsError | None:
    step = STEPS.get(name)
    method = getattr(application, name, None) if step else None
    if method is None:
        return GrantsError(_("Unknown step “%(name)s”.") % {"name": str(name)[:40]})
    if not can_proceed(method, check_conditions=False):
        return GrantsError(
            _("“%(step)s” is not possible while the application is “%(status)s”.")
            % {"step": step.label, "status": lifecycle.STATE[application.status].staff_label}
        )
    if check_permission and not may_do(method, user):
        return GrantsError(_("You may not do “%(step)s” on this application.") % {"step": step.label})
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
    step = STEPS.get(name)
    if step is None or (system and not step.system):
        raise GrantsError(_("Unknown step “%(name)s”.") % {"name": str(name)[:40]})
    if step.locks_group and not application.call.allow_multiple_applications:
        lock_group(application.group_id)  # then the step's checks see any other application of the group
    # The report's steps are authorised by the report service (staff, or a trustee who reviewed
    # the project); it says so with `evaluated=True`, and the step is logged with that person.
    evaluated = params.pop("evaluated", False) and step.evaluated
    refusal = _refusal_for(application, name, user, check_permission=False)
    if refusal is None and not system and step.payment_conflict:
        # Four eyes, before the role: the person is told why this step is someone else's.
        conflict = step.payment_conflict(application, user)
        refusal = GrantsError(conflict) if conflict else None
    if refusal is None and not (system or evaluated):
        refusal = _refusal_for(application, name, user)
    if refusal:
        raise refusal
    reason = (reason or "").strip()[:2000]
    if not system:
        reason = system_reasons.typed(reason)
    if step.reason_required and not reason:
        if step.reason_for_group:
            raise GrantsError(_("Give a reason for “%(step)s”; the group will see it.") % {"step": step.label})
        raise GrantsError(_("Give a reason for “%(step)s”; it stays with fund staff.") % {"step": step.label})
    method = getattr(application, name)
    if step.problems is not None:
        problems = step.problems(application)
        if problems:
            raise GrantsError(*problems)
    elif not can_proceed(method):
        raise GrantsError(_conditions_message(application, step))
    before = application.status
    _run_effects(step.effects_before, application, user=user, reason=reason, params=params)
    with (
        FSMLogDescriptor(application, "by", acting_user(user)),
        FSMLogDescriptor(application, "description", reason or None),
    ):
        method()
    application.save()
    _run_effects(step.effects_after, application, user=user, reason=reason, params=params)
    audit.record(
        application, "grants.transition", by=user, step=name, before=before, after=application.status, reason=reason
    )
    if step.tells_group and lifecycle.applicant_label(before) != lifecycle.applicant_label(application.status):
        transaction.on_commit(lambda: notify.application_status_changed(application, reason, step=name))
    return application


def _conditions_message(application: Application, step: Step) -> str:
    if step.explain is not None:
        return step.explain(application)
    return _("The conditions for this step are not met.")


def steps_for_someone_else(*, application: Application, user) -> list[tuple[Step, str]]:
    """Steps possible now that this person may not take because they would pay a tranche that
    follows from their own decision (four eyes), each with the reason, for the admin page's next
    steps (accepting the final report says so beside the report)."""
    out = []
    for step in STEPS.values():
        if (
            step.payment_conflict is None
            or not step.offered
            or not can_proceed(getattr(application, step.name), check_conditions=False)
        ):
            continue
        conflict = step.payment_conflict(application, user)
        if conflict:
            out.append((step, conflict))
    return out


def available_transitions(*, application: Application, user) -> list[Step]:
    """The steps this person may take now (conditions aside: a step whose condition isn't met is
    offered and then explains itself)."""
    out = []
    for step in STEPS.values():
        if not step.offered:
            continue
        method = getattr(application, step.name)
        if can_proceed(method, check_conditions=False) and may_do(method, user):
            out.append(step)
    return out
