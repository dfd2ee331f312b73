"""Amendments (变更) to a signed agreement: the group asks or staff start one; staff decide with a
reason; finance confirms the one kind that moves money. Applying one changes the project (its
budget lines, report dates, contact, scope or amount, with the ledger) and adds a new agreement
version, frozen and hashed in the chain. One amendment is open per project at a time."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit, jobs
from fundpool.errors import FundpoolError
from fundpool.ledger import commitments
from fundpool.ledger.selectors import commitment_balances
from fundpool.money import format_amount, parse_amount
from grants import lifecycle
from grants.award.versions import current_terms, version_add
from grants.common import MAX_TEXT, GrantsError, acting_user, is_member_of, parse_iso_date
from grants.models import (
    CHARGED,
    Agreement,
    Amendment,
    AmendmentKind,
    AmendmentStatus,
    Application,
    BudgetLine,
    TrancheStatus,
)

AMENDABLE = (lifecycle.Status.IN_DELIVERY, lifecycle.Status.REPORTING)


def _spent_on(line: BudgetLine) -> Decimal:
    return line.expenses.filter(status__in=CHARGED).aggregate(t=Sum("amount"))["t"] or Decimal("0.00")


def _check(application: Application, kind: str, details: dict) -> dict:
    """The details of an amendment, checked and in their stored form; refusals in the person's words."""
    today = timezone.localdate()
    if kind == AmendmentKind.EXTEND:
        out = {}
        for key, current in (
            ("final_due_on", application.final_due_on),
            ("midterm_due_on", application.midterm_due_on),
        ):
            if details.get(key):
                new = parse_iso_date(details[key])
                if new is None:
                    raise GrantsError(
                        _("“%(value)s” is not a date; write it as 2026-12-31.") % {"value": str(details[key])[:20]}
                    )
                if new < today:
                    raise GrantsError(_("The due date %(date)s is in the past.") % {"date": new.isoformat()})
                if current and new <= current:
                    raise GrantsError(
                        _("An extension moves the date later than %(date)s.") % {"date": current.isoformat()}
                    )
                out[key] = new.isoformat()
        if not out:
            raise GrantsError(_("Give the new report date."))
        return out
    if kind == AmendmentKind.BUDGET:
        lines = {line.pk: line for line in application.budget_lines.all()}
        moves = []
        for move in details.get("moves") or []:
            try:
                source, target = lines[int(move["from"])], lines[int(move["to"])]
                amount = parse_amount(move["amount"])
            except (KeyError, ValueError, TypeError):
                raise GrantsError(_("Choose two of the project's budget lines and an amount.")) from None
            except FundpoolError as exc:
                raise GrantsError(str(exc)) from None
            if source.pk == target.pk:
                raise GrantsError(_("Move money between two different lines."))
            left = source.amount - amount
            spent = _spent_on(source)
            if left < spent or left <= 0:
                raise GrantsError(
                    _("“%(line)s” has %(spent)s spent already: it cannot go down to %(left)s.")
                    % {"line": source.item, "spent": format_amount(spent), "left": format_amount(left)}
                )
            moves.append({"from": source.pk, "to": target.pk, "amount": str(amount)})
        if not moves:
            raise GrantsError(_("Choose two of the project's budget lines and an amount."))
        return {"moves": moves}
    if kind == AmendmentKind.CONTACT:
        name = (details.get("leader_name") or "").strip()[:50]
        phone = (details.get("leader_phone") or "").strip()[:30]
        if not name or not phone:
            raise GrantsError(_("Give the new contact person's name and phone number."))
        from grants.validators import normalise_phone, validate_phone

        try:
            validate_phone(phone)
        except Exception:  # noqa: BLE001 - the validator's own message is in the person's language
            raise GrantsError(_("That phone number is not valid.")) from None
        return {"leader_name": name, "leader_phone": normalise_phone(phone)}
    if kind == AmendmentKind.SCOPE:
        scope = (details.get("scope") or "").strip()
        if not scope:
            raise GrantsError(_("Describe the new scope."))
        return {"scope": scope[:MAX_TEXT]}
    if kind == AmendmentKind.AMOUNT:
        try:
            amount = parse_amount(details.get("amount"))
        except FundpoolError as exc:
            raise GrantsError(str(exc)) from None
        paid = application.tranches.filter(status=TrancheStatus.PAID).aggregate(t=Sum("paid_amount"))["t"] or 0
        if amount < paid:
            raise GrantsError(
                _("%(paid)s is paid already: the amount cannot go below it.") % {"paid": format_amount(paid)}
            )
        if amount == application.awarded_amount:
            raise GrantsError(_("That is the amount already awarded."))
        if amount > application.requested_amount:
            raise GrantsError(
                _("The amount cannot go above the %(requested)s the group asked for.")
                % {"requested": format_amount(application.requested_amount)}
            )
        return {"amount": str(amount), "before": str(application.awarded_amount)}
    raise GrantsError(_("Choose what to change."))


@transaction.atomic
def amendment_request(*, application: Application, user, kind: str, details: dict, why: str) -> Amendment:
    """The group (a member) asks, or staff start an amendment. A second open one is refused."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    from_group = is_member_of(application.group, user)
    if not from_group and not (user and user.has_perm("grants.manage_delivery")):
        raise GrantsError(_("Only the group or the fund's staff ask for an amendment."))
    if application.status not in AMENDABLE:
        raise GrantsError(_("Amendments are made while the project is under way."))
    if kind not in AmendmentKind.values:
        raise GrantsError(_("Choose what to change."))
    why = (why or "").strip()
    if not why:
        raise GrantsError(_("Say why the change is needed."))
    details = _check(application, kind, details)
    if application.amendments.filter(status__in=[AmendmentStatus.REQUESTED, AmendmentStatus.APPROVED]).exists():
        raise GrantsError(_("Another amendment of this project is open; it must be decided first."))
    try:
        with transaction.atomic():
            amendment = Amendment.objects.create(
                application=application,
                kind=kind,
                details=details,
                why=why[:MAX_TEXT],
                requested_by=acting_user(user),
                from_group=from_group,
            )
    except IntegrityError:
        raise GrantsError(_("Another amendment of this project is open; it must be decided first.")) from None
    return amendment


@transaction.atomic
def amendment_decide(*, amendment: Amendment, actor, approve: bool, reason: str) -> Amendment:
    """Staff approve or refuse, with a reason. An approval that moves no money applies at once;
    one that does waits for finance (`amendment_confirm`)."""
    if not (actor and actor.has_perm("grants.manage_delivery")):
        raise GrantsError(_("You may not decide amendments."))
    amendment = Amendment.objects.select_for_update().select_related("application").get(pk=amendment.pk)
    if amendment.status != AmendmentStatus.REQUESTED:
        raise GrantsError(_("This amendment has been decided already."))
    reason = (reason or "").strip()
    if not reason:
        raise GrantsError(_("Give the reason for the decision; the group reads it."))
    amendment.decided_by, amendment.decided_at, amendment.decision = acting_user(actor), timezone.now(), reason
    if not approve:
        amendment.status = AmendmentStatus.REFUSED
        amendment.save()
    elif amendment.moves_money:
        amendment.status = AmendmentStatus.APPROVED
        amendment.save()
    else:
        _apply(amendment, actor)
    audit.record(
        amendment.application,
        "grants.amendment_decide",
        by=actor,
        kind=amendment.kind,
        outcome=amendment.status,
        reason=reason,
    )
    return amendment


@transaction.atomic
def amendment_confirm(*, amendment: Amendment, actor) -> Amendment:
    """Finance confirms an approved change of amount: the difference is committed (an increase) or
    released (a decrease) in the fund pool, and the amendment applies."""
    if not (actor and actor.has_perm("grants.pay_tranche")):
        raise GrantsError(_("Only finance confirms changes of money."))
    amendment = Amendment.objects.select_for_update().select_related("application").get(pk=amendment.pk)
    if amendment.status != AmendmentStatus.APPROVED:
        raise GrantsError(_("This amendment is not awaiting finance."))
    if amendment.decided_by_id == getattr(actor, "pk", None):
        raise GrantsError(_("You approved this amendment; under the four-eyes rule someone else confirms its money."))
    _apply(amendment, actor)
    audit.record(amendment.application, "grants.amendment_confirm", by=actor, kind=amendment.kind)
    return amendment


def _apply(amendment: Amendment, actor) -> None:
    """Apply an approved amendment; the change labels frozen into the version are in the site's
    language, whoever decided it."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        _apply_now(amendment, actor)


def _apply_now(amendment: Amendment, actor) -> None:
    application = (
        Application.objects.select_for_update().select_related("group", "call").get(pk=amendment.application_id)
    )
    agreement = Agreement.objects.select_for_update().filter(application=application).first()
    if agreement is None:
        raise GrantsError(_("This project has no signed agreement to amend."))
    terms = dict(current_terms(agreement))
    details, changes = amendment.details, []
    if amendment.kind == AmendmentKind.EXTEND:
        reporting = dict(terms.get("reporting") or {})
        for key, label in (("final_due_on", _("Final report")), ("midterm_due_on", _("Mid-term report"))):
            if key in details:
                before = getattr(application, key)
                setattr(application, key, date.fromisoformat(details[key]))
                reporting[key] = details[key]
                changes.append(
                    {"field": str(label), "before": before.isoformat() if before else "—", "after": details[key]}
                )
        terms["reporting"] = reporting
        application.save(update_fields=["final_due_on", "midterm_due_on", "updated_at"])
    elif amendment.kind == AmendmentKind.BUDGET:
        for move in details["moves"]:
            amount = Decimal(move["amount"])
            source = BudgetLine.objects.select_for_update().get(pk=move["from"], application=application)
            target = BudgetLine.objects.select_for_update().get(pk=move["to"], application=application)
            if source.amount - amount < _spent_on(source) or source.amount - amount <= 0:
                raise GrantsError(
                    _("“%(line)s” has %(spent)s spent already: it cannot go down to %(left)s.")
                    % {
                        "line": source.item,
                        "spent": format_amount(_spent_on(source)),
                        "left": format_amount(source.amount - amount),
                    }
                )
            for line, delta in ((source, -amount), (target, amount)):
                before = line.amount
                line.amount = before + delta
                line.unit_cost = (line.amount / line.quantity).quantize(Decimal("0.01"))
                line.save(update_fields=["amount", "unit_cost"])
                changes.append(
                    {"field": line.item, "before": format_amount(before), "after": format_amount(line.amount)}
                )
        terms["budget"] = [
            {"category": str(line.get_category_display()), "item": line.item, "amount": str(line.amount)}
            for line in application.budget_lines.all()
        ]
    elif amendment.kind == AmendmentKind.CONTACT:
        group = application.group
        changes.append(
            {"field": str(_("Contact person")), "before": group.leader_name, "after": details["leader_name"]}
        )
        group.leader_name, group.leader_phone = details["leader_name"], details["leader_phone"]
        group.save(update_fields=["leader_name", "leader_phone"])
        terms["group"] = {**terms.get("group", {}), "leader": details["leader_name"]}
    elif amendment.kind == AmendmentKind.SCOPE:
        changes.append({"field": str(_("Scope")), "before": "…", "after": details["scope"][:200]})
        terms["scope"] = details["scope"]
    elif amendment.kind == AmendmentKind.AMOUNT:
        _change_amount(application, Decimal(details["amount"]), actor, amendment)
        changes.append(
            {
                "field": str(_("Amount")),
                "before": format_amount(Decimal(details["before"])),
                "after": format_amount(application.awarded_amount),
            }
        )
        terms["amount"] = str(application.awarded_amount)
        terms["amount_display"] = format_amount(application.awarded_amount)
        terms["tranches"] = [
            {**t, "amount": str(tr.amount)}
            for t, tr in zip(terms.get("tranches", []), application.tranches.order_by("number"), strict=False)
        ]
    amendment.status = AmendmentStatus.APPLIED
    if amendment.moves_money:
        amendment.confirmed_by, amendment.confirmed_at = acting_user(actor), timezone.now()
    amendment.save()
    version = version_add(agreement, terms, amendment=amendment, changes=changes)
    transaction.on_commit(lambda: jobs.enqueue("grants.jobs.freeze_version", version.pk, kind="documents"))


def _change_amount(application: Application, amount: Decimal, actor, amendment: Amendment) -> None:
    """An increase is a new commitment (refused, with the shortfall named, when the pool or the
    restriction cannot cover it); a decrease releases money. The difference goes on the last
    tranche not yet paid."""
    difference = amount - application.awarded_amount
    if difference == 0:
        return
    unpaid = (
        application.tranches.select_for_update()
        .filter(status__in=[TrancheStatus.PLANNED, TrancheStatus.DUE])
        .order_by("-number")
        .first()
    )
    if unpaid is None or unpaid.amount + difference <= 0:
        raise GrantsError(_("No tranche is left to carry the change; the amount can no longer be changed."))
    description = _("Amendment #%(n)s of %(title)s") % {"n": amendment.pk, "title": application.title}
    try:
        if difference > 0:
            commitments.commitment_increase(
                reference=application.reference, amount=difference, description=description, actor=acting_user(actor)
            )
        else:
            outstanding = commitment_balances(reference=application.reference)["outstanding"]
            if -difference > outstanding:
                raise GrantsError(
                    _("Only %(outstanding)s is still committed; the amount cannot go down by %(amount)s.")
                    % {"outstanding": format_amount(outstanding), "amount": format_amount(-difference)}
                )
            commitments.commitment_release(
                reference=application.reference, amount=-difference, description=description, actor=acting_user(actor)
            )
    except FundpoolError as exc:
        raise GrantsError(str(exc)) from None
    unpaid.amount += difference
    unpaid.save(update_fields=["amount"])
    application.awarded_amount = amount
    Application.objects.filter(pk=application.pk).update(awarded_amount=amount)
