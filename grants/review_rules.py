"""Rules of review that take values and return values, and import nothing of the project: the
results page (a selector) and closing the review (a service) both read them here, so what the
page flags is what holds the review open."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal


def score_spread(totals: Iterable[Decimal]) -> Decimal:
    """How far apart the reviewers' weighted totals are: highest minus lowest."""
    totals = list(totals)
    return max(totals) - min(totals) if totals else Decimal(0)


def reviewers_disagree(totals: Iterable[Decimal], threshold: Decimal) -> bool:
    """Whether the reviewers' totals differ by more than the call's disagreement threshold. Such a
    review does not close by itself, and the suggestion leaves it to staff."""
    return score_spread(totals) > threshold
