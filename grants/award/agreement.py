"""The agreement's terms, frozen at signing, and their hash."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from fundpool.money import format_amount
from grants.models import (
    Application,
)


def obligations() -> list[str]:
    """What every grant agreement binds the group to (the call's special conditions come beside)."""
    return [
        str(
            _(
                "Spend the grant only on the budget lines agreed; moving money beyond a line's tolerance needs the fund's approval."
            )
        ),
        str(_("Keep a receipt for every expense and record it in the site within 30 days.")),
        str(_("Submit the reports by their due dates, and let the fund and residents see the activities.")),
        str(_("Return any money not spent on the project, and money spent outside the agreement.")),
        str(_("Tell the fund at once of any change of contact person, scope or dates, and ask for an amendment.")),
    ]


def agreement_terms(application: Application, conditions: str, *, signed_on=None) -> dict:
    """The terms a signature freezes: parties, project, amounts, budget, milestones, reporting dates,
    tranche plan, obligations and special conditions. Written in the site's language whoever reads
    them, so that the draft the group confirms and the terms signed hash the same."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        return _terms(application, conditions, signed_on=signed_on, timedelta=timedelta)


def _terms(application: Application, conditions: str, *, signed_on, timedelta) -> dict:
    amount = application.awarded_amount
    plan = list(application.call.tranches.all())
    amounts, left = [], amount
    for i, t in enumerate(plan):
        part = left if i == len(plan) - 1 else (amount * t.share / 100).quantize(Decimal("0.01"))
        amounts.append(part)
        left -= part
    return {
        "fund": str(_("Community fund pool")),
        "group": {
            "name": application.group.name,
            "type": application.group.get_group_type_display(),
            "community": application.group.community.name,
            "filing_number": application.group.filing_number,
            "credit_code": application.group.credit_code,
            "leader": application.group.leader_name,
        },
        "project": {"id": application.pk, "title": application.title, "call": application.call.title},
        "amount": str(amount),
        "amount_display": format_amount(amount),
        "capacity_amount": str(application.capacity_amount),
        "tranches": [
            {
                "number": i + 1,
                "share": str(t.share),
                "amount": str(a),
                "trigger": t.trigger,
                "trigger_label": str(t.get_trigger_display()),
                "due_after_days": t.due_after_days,
            }
            for i, (t, a) in enumerate(zip(plan, amounts, strict=True))
        ],
        "conditions": conditions.strip(),
        "budget": [
            {
                "category": str(line.get_category_display()),
                "item": line.item,
                "amount": str(line.amount),
            }
            for line in application.budget_lines.all()
        ],
        "milestones": [{"title": m.title, "due_on": m.due_on.isoformat()} for m in application.milestones.all()],
        "reporting": {
            "midterm_days": application.call.midterm_report_days or None,
            "final_days": application.call.final_report_days,
            "midterm_due_on": (signed_on + timedelta(days=application.call.midterm_report_days)).isoformat()
            if signed_on and application.call.midterm_report_days
            else None,
            "final_due_on": (signed_on + timedelta(days=application.call.final_report_days)).isoformat()
            if signed_on
            else None,
        },
        "scope": application.summary,
        "obligations": obligations(),
    }


def terms_hash(terms: dict) -> str:
    import hashlib
    import json

    canonical = json.dumps(terms, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
