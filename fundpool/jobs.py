"""The fund pool's background jobs (core/jobs.py runs them)."""

from __future__ import annotations

from .donations.stripe_events import event_settle, events_process_queue
from .models import StripeEvent


def process_event(event_id: str) -> str:
    """One stored Stripe event, processed once (its row is the record: a second run finds it done)."""
    event = StripeEvent.objects.filter(event_id=event_id).first()
    if event is None:
        return f"no event {event_id}"
    return f"{event_id}: {event_settle(event).status}"


def process_waiting_events() -> str:
    """The schedule's safety net: events stored but not processed, and those that failed before."""
    return f"{events_process_queue(limit=500, retry_failed=True)} event(s) processed"
