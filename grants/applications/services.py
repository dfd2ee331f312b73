"""Applications before review: a draft as soon as a group applies, kept as typed (budget lines and milestones), attachments, submission."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.text import clean_name
from core.uploads import UploadRefused, accept_upload, upload_label
from grants import lifecycle
from grants.common import MAX_TEXT, GrantsError, acting_user, clean_or_refuse, is_member_of, lock_group
from grants.models import (
    Application,
    ApplicationAttachment,
    BudgetLine,
    Call,
    Milestone,
    ResidentGroup,
)
from grants.transitions import application_transition


class AlreadyApplied(GrantsError):
    """The group already has an application in this call, which allows one per group; the
    group is taken to `application` instead."""

    def __init__(self, application: Application):
        self.application = application
        super().__init__(
            _("Your group has already applied to this call (“%(title)s”); it takes one application per group.")
            % {"title": application.title}
        )


def _counted_applications(*, call: Call, group_id: int):
    return Application.objects.filter(call=call, group_id=group_id).exclude(status__in=lifecycle.SET_ASIDE)


@transaction.atomic
def application_start(*, call: Call, group: ResidentGroup, user) -> Application:
    """A draft, made as soon as the group chooses to apply (so nothing typed is ever lost). One
    per group per call unless the call allows more: a group that already applied gets
    `AlreadyApplied`, which names its application."""
    if not is_member_of(group, user):
        raise GrantsError(_("Only members of the group can apply for it."))
    if not call.is_open():
        raise GrantsError(_("This call is not open for applications."))
    if not call.accepts_group(group):
        raise GrantsError(_("This call is not open to your group's community or type."))
    if not call.allow_multiple_applications:
        lock_group(group.pk)
        existing = _counted_applications(call=call, group_id=group.pk).order_by("pk").first()
        if existing is not None:
            raise AlreadyApplied(existing)
    return Application.objects.create(
        call=call, group=group, title=clean_name(call.title)[:120], created_by=acting_user(user)
    )


@dataclass
class LineInput:
    category: str
    item: str
    unit_cost: Decimal
    quantity: Decimal
    amount: Decimal


@dataclass
class MilestoneInput:
    title: str
    due_on: date


DRAFT_FIELDS = (
    "title",
    "summary",
    "problem",
    "activities",
    "beneficiaries",
    "beneficiary_count",
    "team",
    "own_contribution",
    "matched_contribution",
    "requested_amount",
)


@transaction.atomic
def application_save_draft(
    *, application: Application, user, fields: dict, lines=None, milestones=None, budget_draft=None
) -> Application:
    """Keep what the group typed. Only the group's own fields are taken; status, award and the
    like are never set from input. With `lines`, the budget becomes those lines; `budget_draft`
    then keeps every row as typed when one of them could not be a line (see Application)."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not is_member_of(application.group, user):
        raise GrantsError(_("Only members of the group can edit its application."))
    if not application.is_editable:
        raise GrantsError(_("This application has been submitted and can no longer be changed."))
    for name in DRAFT_FIELDS:
        if name in fields:
            value = fields[name]
            if isinstance(value, str):
                value = value.strip()[:MAX_TEXT]
            setattr(application, name, value)
    if lines is not None:
        application.budget_lines.all().delete()
        BudgetLine.objects.bulk_create(
            [
                BudgetLine(
                    application=application,
                    category=line.category,
                    item=line.item[:100],
                    unit_cost=line.unit_cost,
                    quantity=line.quantity,
                    amount=line.amount,
                    position=i,
                )
                for i, line in enumerate(lines)
            ]
        )
        application.budget_draft = _raw_rows(budget_draft or [])
    if milestones is not None:
        application.milestones.all().delete()
        Milestone.objects.bulk_create(
            [
                Milestone(application=application, title=m.title[:120], due_on=m.due_on, position=i)
                for i, m in enumerate(milestones)
            ]
        )
    clean_or_refuse(application, exclude=["call", "group", "created_by", "problem", "status"])
    application.save()
    return application


BUDGET_ROW_KEYS = ("category", "item", "unit_cost", "quantity", "amount")


def _raw_rows(rows) -> list[dict]:
    # Text as typed, bounded: at most as many rows as the form takes, each value as long as its
    # input; `bad` marks the rows that could not be saved as lines.
    return [
        {**{key: str(row.get(key) or "")[:100] for key in BUDGET_ROW_KEYS}, "bad": bool(row.get("bad"))}
        for row in list(rows)[:50]
    ]


@transaction.atomic
def application_attach(*, application: Application, user, file, title: str = "", identifying: bool = False):
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not is_member_of(application.group, user):
        raise GrantsError(_("Only members of the group can add attachments."))
    if not application.is_editable:
        raise GrantsError(_("This application has been submitted and can no longer be changed."))
    if application.attachments.count() >= ApplicationAttachment.MAX_FILES:
        raise GrantsError(_("At most %(n)s attachments per application.") % {"n": ApplicationAttachment.MAX_FILES})
    # What the group called the file is only its label; it is stored under a name of ours.
    title = upload_label(title or getattr(file, "name", ""), limit=120)
    try:
        file, content_type = accept_upload(file)
    except UploadRefused as exc:
        raise GrantsError(str(exc)) from None
    return ApplicationAttachment.objects.create(
        application=application,
        title=title,
        file=file,
        content_type=content_type,
        size=file.size,
        identifying=identifying,
        uploaded_by=acting_user(user),
    )


@transaction.atomic
def application_detach(*, attachment: ApplicationAttachment, user) -> None:
    application = attachment.application
    if not is_member_of(application.group, user) or not application.is_editable:
        raise GrantsError(_("This attachment can no longer be removed."))
    attachment.file.delete(save=False)
    attachment.delete()


def application_submit(*, application: Application, user) -> Application:
    return application_transition(application=application, name="submit", user=user)
