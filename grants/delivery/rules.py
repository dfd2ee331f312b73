"""Rules of delivery."""

from __future__ import annotations

from decimal import Decimal

from grants.models import (
    Application,
    BudgetLine,
    TrancheTrigger,
)


def line_allowance(line: BudgetLine, tolerance: Decimal) -> Decimal:
    """What a line may take without staff approval: its amount plus the call's tolerance."""
    return (line.amount * (1 + tolerance / 100)).quantize(Decimal("0.01"))


def midterm_required(application: Application) -> bool:
    return (
        application.midterm_due_on is not None or application.tranches.filter(trigger=TrancheTrigger.MIDTERM).exists()
    )
