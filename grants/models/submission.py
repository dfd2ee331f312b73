"""Every reason an application cannot be submitted now, all at once."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from fundpool.money import format_amount
from grants import lifecycle
from grants.lifecycle import Status


def same_group(application):
    """The group's other applications to the same call that still count (not set aside)."""
    return (
        type(application)
        ._default_manager.filter(call_id=application.call_id, group_id=application.group_id)
        .exclude(pk=application.pk)
        .exclude(status__in=lifecycle.SET_ASIDE)
    )


def application_submission_problems(*, application) -> list[str]:
    """Every reason the application can't be submitted now, for the applicant, all at once."""
    problems: list[str] = []
    call, group = application.call, application.group
    now = timezone.now()
    if not call.published or now < call.opens_at:
        problems.append(_("This call is not open for applications yet."))
    elif now >= call.closes_at:
        problems.append(
            _("This call closed on %(closes)s; applications can no longer be submitted.")
            % {"closes": timezone.localtime(call.closes_at).strftime("%Y-%m-%d %H:%M")}
        )
    if group.group_type == "registered":
        if not group.credit_code:
            problems.append(_("The organisation's unified social credit code is missing."))
    elif not group.is_filed:
        problems.append(_("Your group must be filed (备案) with the sub-district before it can apply."))
    if not call.accepts_group(group):
        problems.append(_("This call is not open to your group's community or type."))
    if not call.allow_multiple_applications:
        other = same_group(application).exclude(status=Status.DRAFT).order_by("pk").first()
        if other is not None:
            problems.append(
                _(
                    "Your group has already sent “%(title)s” to this call, which takes one application per "
                    "group: withdraw one of the two first."
                )
                % {"title": other.title}
            )
    required = [
        ("title", _("project title")),
        ("summary", _("summary")),
        ("activities", _("activities")),
        ("beneficiaries", _("who benefits")),
        ("team", _("team")),
    ]
    for field, label in required:
        if not (getattr(application, field) or "").strip():
            problems.append(_("Fill in the %(field)s.") % {"field": label})
    if not application.beneficiary_count:
        problems.append(_("Say how many people benefit."))
    if application.problem_id is None:
        problems.append(_("Choose the priority problem the project addresses."))
    elif call.problems.exists() and not call.problems.filter(pk=application.problem_id).exists():
        problems.append(_("The priority problem chosen is not one of this call's."))
    lines = list(application.budget_lines.all())
    total = sum((line.amount for line in lines), start=application.requested_amount * 0)
    if application.budget_draft:
        # Rows kept as typed because one of them is not a valid line yet: the budget is not complete.
        for n, row in enumerate(application.budget_draft, start=1):
            if row.get("bad"):
                problems.append(
                    _("Budget line %(n)s has a mistake and is not saved yet: correct it on the form.") % {"n": n}
                )
    elif not lines:
        problems.append(_("Add at least one budget line."))
    for line in lines:
        if line.unit_cost * line.quantity != line.amount:
            problems.append(
                _("Budget line “%(item)s”: %(unit)s × %(qty)s is not %(amount)s.")
                % {"item": line.item, "unit": line.unit_cost, "qty": line.quantity, "amount": line.amount}
            )
    if total != application.requested_amount:
        problems.append(
            _("The budget lines add up to %(total)s but the request is %(requested)s.")
            % {"total": format_amount(total), "requested": format_amount(application.requested_amount)}
        )
    if application.requested_amount and not (call.min_amount <= application.requested_amount <= call.max_amount):
        problems.append(
            _("This call funds between %(min)s and %(max)s; the request is %(requested)s.")
            % {
                "min": format_amount(call.min_amount),
                "max": format_amount(call.max_amount),
                "requested": format_amount(application.requested_amount),
            }
        )
    if not application.milestones.exists():
        problems.append(_("Add at least one milestone."))
    return problems
