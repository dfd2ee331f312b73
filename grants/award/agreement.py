"""The agreement's terms, frozen at signing, and their hash."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from fundpool.money import format_amount
from grants.models import (
    Application,
)


def agreement_terms(application: Application, conditions: str) -> dict:
    """The terms a signature freezes: parties, project, amounts, tranche plan, conditions."""

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
    }


def terms_hash(terms: dict) -> str:
    import hashlib
    import json

    canonical = json.dumps(terms, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
