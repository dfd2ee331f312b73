"""Reads for donations: a gift by its private token and where it went, campaign progress, and what
staff must look at (gifts held in suspense, events waiting or failed)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.http import Http404
from django.utils import timezone

from fundpool.ledger.selectors import inflow_usage
from fundpool.models import (
    Campaign,
    Donation,
    DonationChannel,
    DonationStatus,
    EntryKind,
    EventStatus,
    JournalEntry,
    StripeEvent,
)

ZERO = Decimal("0.00")


def donation_for_token(*, token: str) -> Donation:
    token = str(token)[:64]
    if "\x00" in token:  # no token has one, and PostgreSQL refuses to compare with it
        raise Http404
    try:
        return Donation.objects.select_related("theme", "campaign", "inflow").get(token=token)
    except Donation.DoesNotExist:
        raise Http404 from None


def donation_trace(*, donation: Donation) -> dict | None:
    """Where the gift went: the grants (by reference) it reached, committed and paid, what is still
    in the pool, and what was refunded or charged back."""
    if donation.inflow_id is None:
        return None
    usage = inflow_usage(inflow=donation.inflow)
    returned = (
        JournalEntry.objects.filter(
            inflow=donation.inflow, kind__in=[EntryKind.REFUND, EntryKind.CHARGEBACK], reversed_by__isnull=True
        ).aggregate(t=Sum("amount"))["t"]
        or ZERO
    )
    return {**usage, "returned": returned}


@dataclass
class Progress:
    goal: Decimal
    raised: Decimal  # gifts from the public
    matched: Decimal  # the partner's matching gifts
    donors: int

    @property
    def total(self) -> Decimal:
        return self.raised + self.matched

    @property
    def percent(self) -> int:
        return min(100, int(self.total * 100 / self.goal)) if self.goal else 0


def campaign_progress(*, campaign: Campaign) -> Progress:
    """Received gifts (less what was refunded or charged back) and the matches they earned."""
    confirmed = Donation.objects.filter(campaign=campaign, status=DonationStatus.CONFIRMED)
    sums = confirmed.aggregate(
        raised=Sum("amount", filter=~Q(channel=DonationChannel.MATCH)),
        matched=Sum("amount", filter=Q(channel=DonationChannel.MATCH)),
        donors=Count("pk", filter=~Q(channel=DonationChannel.MATCH)),
    )
    returned = (
        JournalEntry.objects.filter(
            inflow__donation__campaign=campaign,
            inflow__donation__status=DonationStatus.CONFIRMED,
            kind__in=[EntryKind.REFUND, EntryKind.CHARGEBACK],
            reversed_by__isnull=True,
        ).aggregate(t=Sum("amount"))["t"]
        or ZERO
    )
    return Progress(
        goal=campaign.goal,
        raised=(sums["raised"] or ZERO) - returned,
        matched=sums["matched"] or ZERO,
        donors=sums["donors"] or 0,
    )


def campaign_for_slug(*, slug: str) -> Campaign:
    try:
        return Campaign.objects.select_related("theme", "match_pledge__funder").get(slug=str(slug)[:80])
    except Campaign.DoesNotExist:
        raise Http404 from None


def campaigns_active():
    today = timezone.localdate()
    return (
        Campaign.objects.filter(active=True, starts_on__lte=today)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .select_related("theme")
    )


def donations_in_suspense():
    return Donation.objects.filter(status=DonationStatus.SUSPENSE).order_by("created_at")


def events_needing_attention():
    return StripeEvent.objects.filter(
        status__in=[EventStatus.DEFERRED, EventStatus.FAILED, EventStatus.SUSPENSE, EventStatus.REFUSED]
    ).order_by("created")
