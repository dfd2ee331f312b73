"""Stripe's events since a date fetched and processed once more: any the webhook missed (stripe_reconcile)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fundpool.donations import gateway
from fundpool.donations.stripe_events import event_receive
from fundpool.models import (
    EventStatus,
    StripeEvent,
)


@dataclass
class ReconcileResult:
    seen: int = 0
    new: int = 0
    processed: int = 0


def stripe_reconcile(*, since: datetime) -> ReconcileResult:
    """Fetch Stripe's events since a date and process any we missed (or that failed), once."""
    result = ReconcileResult()
    for payload in gateway.events_since(since):
        result.seen += 1
        existed = StripeEvent.objects.filter(event_id=payload.get("id")).exists()
        event = event_receive(payload)
        result.new += not existed
        result.processed += event.status == EventStatus.PROCESSED and not existed
    return result
