"""Outcome pages: drafted when a project's outcome is recorded, and the live figures they show."""

from __future__ import annotations

import logging

from django.db.models import Sum

from fundpool.ledger.selectors import commitment_balances, funding_trace
from fundpool.money import format_amount

logger = logging.getLogger(__name__)


def outcome_context(application) -> dict:
    from core import charts
    from grants.delivery.selectors import feedback_summary
    from grants.models import ProjectPhoto

    trace = funding_trace(reference=application.reference)
    return {
        "project": application,
        "money": commitment_balances(reference=application.reference),
        "trace": trace,
        "trace_chart": charts.stacked_bar(
            [(s["label"], s["amount"]) for s in trace["by_source"]], title=application.title, fmt=format_amount
        )
        if trace["by_source"]
        else "",
        "feedback": feedback_summary(application=application),
        "photos": list(ProjectPhoto.objects.filter(application=application).order_by("uploaded_at")[:12]),
        "beneficiaries": application.activity_records.aggregate(n=Sum("beneficiaries_reached"))["n"] or 0,
        "activities": application.activity_records.count(),
    }
